// The coordinator client: GitLab's runner API (/api/v4) as GitLab Runner's network/gitlab.go calls it. Runner
// endpoints authenticate with the runner token in the JSON body (and the RUNNER-TOKEN header in newer runners);
// job endpoints with the job token in the JOB-TOKEN header. Status handling follows gitlab.go:
// RegisterRunner 201 / 403; VerifyRunner 200 / 403; UnregisterRunner 204 / 403; RequestJob 201 job, 204 none,
// 403 forbidden, other failures retried later; UpdateJob 200 ok, 202 accepted-not-completed, 412 trace validation
// failed (resend the trace), 403/404 abort, Job-Status canceled|failed abort, canceling → cancel;
// PatchTrace 202 ok, 416 range mismatch (resume from the server's Range end), 404/403 abort;
// artifacts upload 201 (multipart field "file", query artifact_type / artifact_format / expire_in),
// download 200 (network/remote_job_state_response.go, network/patch_response.go, network/trace.go).
import { arch, hostname, platform } from 'node:os';
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { HttpClient, type HttpResponse, type TlsFiles } from './http.js';
import type { FeaturesInfo, JobPayload, RunnerInfo, UpdateJobRequest } from './api-types.js';
import { RunnerError, RunnerForbiddenError } from './errors.js';

export const KILN_VERSION = '0.1.0';

/** Features kiln's runner supports (GitLab decides from these what it may send). */
export function runnerFeatures(executor: string): FeaturesInfo {
  const docker = executor === 'docker';
  return {
    variables: true,
    image: docker,
    services: docker,
    artifacts: true,
    cache: true,
    fallback_cache_keys: true,
    upload_multiple_artifacts: true,
    upload_raw_artifacts: true,
    refspecs: true,
    masking: true,
    raw_variables: true,
    artifacts_exclude: true,
    multi_build_steps: true,
    trace_reset: true,
    trace_checksum: true,
    trace_size: true,
    cancelable: true,
    return_exit_code: true,
    service_variables: docker,
    service_multiple_aliases: docker,
    image_executor_opts: docker,
    cancel_gracefully: true,
  };
}

export function runnerInfo(executor: string, shell = 'bash'): RunnerInfo {
  const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' };
  return {
    name: 'kiln',
    version: KILN_VERSION,
    platform: platform(),
    architecture: goArch[arch()] ?? arch(),
    executor,
    shell,
    features: runnerFeatures(executor),
  };
}

/** Answer of register/verify (common/network.go RegisterRunnerResponse / VerifyRunnerResponse). */
export interface RunnerTokenAnswer {
  id?: number;
  token?: string;
  token_expires_at?: string;
}

/** What GitLab said about a running job in headers (Job-Status, X-GitLab-Trace-Update-Interval). */
export interface RemoteJobState {
  /** canceled / failed, or 403: stop now, no after_script (gitlab.go IsFailed → Abort). */
  abort: boolean;
  /** canceling: stop the script, still run after_script (IsCanceled → Cancel). */
  cancelRequested: boolean;
  /** Seconds, when the server sets X-GitLab-Trace-Update-Interval. */
  updateIntervalS?: number;
}

export type PatchOutcome =
  | { kind: 'ok'; sentTo: number; remote: RemoteJobState }
  | { kind: 'range-mismatch'; serverOffset: number; remote: RemoteJobState }
  | { kind: 'abort' | 'not-found'; remote: RemoteJobState }
  | { kind: 'failed'; remote: RemoteJobState; detail: string };

export type UpdateOutcome =
  | { kind: 'ok' | 'accepted' | 'trace-validation-failed' | 'abort' | 'not-found'; remote: RemoteJobState }
  | { kind: 'failed'; remote: RemoteJobState; detail: string };

export type JobRequestOutcome =
  { kind: 'job'; job: JobPayload } | { kind: 'none' } | { kind: 'retry-later'; detail: string; waitMs?: number };

export interface ArtifactUpload {
  filename: string;
  data: Buffer;
  type: string;
  format: string;
  expireIn?: string;
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function remoteState(res: HttpResponse): RemoteJobState {
  const status = header(res, 'Job-Status');
  const interval = Number(header(res, 'X-GitLab-Trace-Update-Interval'));
  return {
    abort: status === 'canceled' || status === 'failed' || res.status === 403,
    cancelRequested: status === 'canceling',
    ...(Number.isFinite(interval) && interval > 0 ? { updateIntervalS: interval } : {}),
  };
}

function message(res: HttpResponse): string {
  const text = res.body.toString('utf8').slice(0, 300);
  try {
    const m = JSON.parse(text) as { message?: unknown; error?: unknown };
    const detail = m.message ?? m.error;
    if (detail !== undefined) return `${res.status}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`;
  } catch {
    /* not JSON */
  }
  return `${res.status}${text ? `: ${text}` : ''}`;
}

export class CoordinatorClient {
  readonly http: HttpClient;
  private readonly api: URL;

  constructor(
    readonly url: string,
    tls: TlsFiles = {},
  ) {
    const base = new URL(url.endsWith('/') ? url : `${url}/`);
    this.api = new URL('api/v4/', base);
    this.http = new HttpClient(tls);
  }

  close(): void {
    this.http.close();
  }

  private endpoint(path: string): URL {
    return new URL(path, this.api);
  }

  private json(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
    extra: { signal?: AbortSignal; timeoutMs?: number; retry?: boolean } = {},
  ) {
    return this.http.request({
      method,
      url: this.endpoint(path),
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      timeoutMs: extra.timeoutMs ?? 60_000,
      ...extra,
    });
  }

  /** Legacy registration token -> a new runner (POST /api/v4/runners). */
  async register(
    registrationToken: string,
    params: { description: string; tagList?: string; runUntagged?: boolean; locked?: boolean; executor: string },
  ): Promise<RunnerTokenAnswer> {
    const res = await this.json('POST', 'runners', {
      token: registrationToken,
      description: params.description,
      tag_list: params.tagList,
      run_untagged: params.runUntagged ?? true,
      locked: params.locked ?? false,
      paused: false,
      info: runnerInfo(params.executor),
    });
    if (res.status === 201) return JSON.parse(res.body.toString('utf8')) as RunnerTokenAnswer;
    if (res.status === 403)
      throw new RunnerForbiddenError(`registering the runner was refused (403: check the registration token)`);
    throw new RunnerError(`registering the runner failed (${message(res)})`);
  }

  /** Checks a runner token (POST /api/v4/runners/verify); glrt- tokens get the runner id and expiry back. */
  async verify(token: string, executor: string, systemId: string): Promise<RunnerTokenAnswer> {
    const res = await this.json('POST', 'runners/verify', { token, system_id: systemId, info: runnerInfo(executor) });
    if (res.status === 200) {
      try {
        return JSON.parse(res.body.toString('utf8')) as RunnerTokenAnswer;
      } catch {
        return {}; // older GitLab answers plain text (gitlab.go falls back the same way)
      }
    }
    if (res.status === 403) throw new RunnerForbiddenError('the runner token is not valid (403 from runners/verify)');
    throw new RunnerError(`verifying the runner failed (${message(res)})`);
  }

  /**
   * Legacy runners: DELETE /api/v4/runners removes the runner. glrt- runners (made in GitLab's UI): DELETE
   * /api/v4/runners/managers removes only this machine (system_id), as commands/unregister.go does.
   */
  async unregister(token: string, systemId: string): Promise<void> {
    const manager = token.startsWith('glrt-');
    const res = await this.json(
      'DELETE',
      manager ? 'runners/managers' : 'runners',
      manager ? { token, system_id: systemId } : { token },
    );
    if (res.status === 204) return;
    if (res.status === 403)
      throw new RunnerForbiddenError('unregistering was refused (403: the token is not valid any more)');
    throw new RunnerError(`unregistering the runner failed (${message(res)})`);
  }

  /** POST /api/v4/jobs/request. GitLab holds the request open (long polling) until a job or its timeout. */
  async requestJob(
    token: string,
    info: RunnerInfo,
    systemId: string,
    lastUpdate: string | undefined,
    signal?: AbortSignal,
  ): Promise<JobRequestOutcome & { lastUpdate?: string }> {
    let res: HttpResponse;
    try {
      res = await this.json(
        'POST',
        'jobs/request',
        { token, info, system_id: systemId, ...(lastUpdate ? { last_update: lastUpdate } : {}) },
        { 'RUNNER-TOKEN': token },
        { signal, timeoutMs: 120_000, retry: false },
      );
    } catch (e) {
      return { kind: 'retry-later', detail: (e as Error).message };
    }
    const lu = header(res, 'X-GitLab-Last-Update');
    const withLu = lu ? { lastUpdate: lu } : {};
    if (res.status === 201) return { kind: 'job', job: JSON.parse(res.body.toString('utf8')) as JobPayload, ...withLu };
    if (res.status === 204) return { kind: 'none', ...withLu };
    if (res.status === 403)
      throw new RunnerForbiddenError(
        'GitLab refused the runner token (403 from jobs/request): verify or register again',
      );
    const wait = res.status === 429 ? Number(header(res, 'Retry-After')) * 1000 : undefined;
    return {
      kind: 'retry-later',
      detail: `jobs/request: ${message(res)}`,
      ...(wait && Number.isFinite(wait) ? { waitMs: wait } : {}),
      ...withLu,
    };
  }

  /** PUT /api/v4/jobs/:id (state updates and the final one). */
  async updateJob(id: number, jobToken: string, body: UpdateJobRequest): Promise<UpdateOutcome> {
    let res: HttpResponse;
    try {
      res = await this.json('PUT', `jobs/${id}`, body, { 'JOB-TOKEN': jobToken }, { retry: false });
    } catch (e) {
      return { kind: 'failed', remote: { abort: false, cancelRequested: false }, detail: (e as Error).message };
    }
    const remote = remoteState(res);
    // gitlab.go createUpdateJobResult checks Job-Status canceled/failed before the status code.
    if (remote.abort) return { kind: 'abort', remote };
    switch (res.status) {
      case 200:
        return { kind: 'ok', remote };
      case 202:
        return { kind: 'accepted', remote };
      case 412:
        return { kind: 'trace-validation-failed', remote };
      case 404:
        return { kind: 'not-found', remote };
      case 403:
        return { kind: 'abort', remote };
      default:
        return { kind: 'failed', remote, detail: message(res) };
    }
  }

  /** PATCH /api/v4/jobs/:id/trace with Content-Range start-end (inclusive), as network/gitlab.go PatchTrace. */
  async patchTrace(id: number, jobToken: string, content: Buffer, offset: number): Promise<PatchOutcome> {
    let res: HttpResponse;
    try {
      res = await this.http.request({
        method: 'PATCH',
        url: this.endpoint(`jobs/${id}/trace?debug_trace=false`),
        body: content,
        retry: false,
        timeoutMs: 60_000,
        headers: {
          'JOB-TOKEN': jobToken,
          'content-type': 'text/plain',
          'content-range': `${offset}-${offset + content.length - 1}`,
        },
      });
    } catch (e) {
      return { kind: 'failed', remote: { abort: false, cancelRequested: false }, detail: (e as Error).message };
    }
    const remote = remoteState(res);
    if (remote.abort) return { kind: 'abort', remote };
    if (res.status === 202) return { kind: 'ok', sentTo: offset + content.length, remote };
    if (res.status === 416) {
      // network/patch_response.go NewOffset: the end of the server's "Range: 0-N" header.
      const range = header(res, 'Range') ?? '';
      const end = Number(range.split('-')[1]);
      return { kind: 'range-mismatch', serverOffset: Number.isFinite(end) ? end : 0, remote };
    }
    if (res.status === 404) return { kind: 'not-found', remote };
    return { kind: 'failed', remote, detail: message(res) };
  }

  /** POST /api/v4/jobs/:id/artifacts (multipart, field "file"), as gitlab.go UploadRawArtifacts. */
  async uploadArtifact(id: number, jobToken: string, a: ArtifactUpload): Promise<void> {
    const boundary = `kiln-${randomBytes(12).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${a.filename.replace(/["\r\n]/g, '_')}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const q = new URLSearchParams();
    if (a.expireIn) q.set('expire_in', a.expireIn);
    q.set('artifact_format', a.format);
    q.set('artifact_type', a.type);
    const res = await this.http.request({
      method: 'POST',
      url: this.endpoint(`jobs/${id}/artifacts?${q}`),
      body: Buffer.concat([head, a.data, tail]),
      timeoutMs: 3_600_000,
      headers: { 'JOB-TOKEN': jobToken, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    if (res.status === 201) return;
    if (res.status === 413) throw new RunnerError(`artifacts (${a.type}) are too large for GitLab (413)`);
    throw new RunnerError(`uploading artifacts (${a.type}) failed (${message(res)})`);
  }

  /** GET /api/v4/jobs/:id/artifacts with this job's token; the zip is streamed to sink. */
  async downloadArtifacts(
    dependencyId: number,
    jobToken: string,
    sink: (res: http.IncomingMessage) => Promise<void>,
  ): Promise<void> {
    const res = await this.http.request({
      method: 'GET',
      url: this.endpoint(`jobs/${dependencyId}/artifacts`),
      headers: { 'JOB-TOKEN': jobToken },
      sink,
      timeoutMs: 3_600_000,
    });
    if (res.status === 200) return;
    if (res.status === 404) throw new RunnerError(`artifacts of job ${dependencyId} not found (404)`);
    throw new RunnerError(`downloading artifacts of job ${dependencyId} failed (${message(res)})`);
  }
}

/** GitLab Runner's system id shape ("s_" + 12 hex digits), one per machine and config file. */
export function newSystemId(): string {
  return `s_${randomBytes(6).toString('hex')}`;
}

export function defaultRunnerName(): string {
  return hostname();
}
