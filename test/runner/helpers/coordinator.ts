// A GitLab coordinator double on loopback: the runner API endpoints kiln's runner uses, implemented from GitLab's
// documented runner API and the shapes GitLab Runner sends and reads (common/network.go, common/spec/spec.go,
// network/gitlab.go, network/trace.go). Jobs are queued by the test, handed out in order once the jobs they need
// succeeded, and everything the runner sent is kept for assertions. The project's repository is served over smart
// HTTP by `git http-backend` (CGI) with GitLab's job-token basic auth (gitlab-ci-token:<job token>).
// Faults: statuses for jobs/request (429, 500...), a connection dropped around a trace patch (before or after the
// server stored it), final updates failing N times, server-side cancel (canceling / canceled).
import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { crc32 } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type {
  JobPayload,
  PayloadArtifact,
  PayloadCache,
  PayloadImage,
  PayloadVariable,
} from '../../../src/runner/api-types.js';

export interface JobSpec {
  name: string;
  stage?: string;
  script: string[];
  afterScript?: string[];
  variables?: PayloadVariable[];
  artifacts?: PayloadArtifact[];
  cache?: PayloadCache[];
  /** Jobs whose artifacts (and dotenv) this job gets; it is handed out only after they succeeded. */
  needs?: string[];
  timeout?: number;
  image?: PayloadImage;
  services?: PayloadImage[];
  gitDepth?: number;
}

export interface StoredArtifact {
  type: string;
  format: string;
  expireIn?: string;
  filename: string;
  data: Buffer;
}

export interface JobRecord {
  id: number;
  token: string;
  spec: JobSpec;
  status: 'pending' | 'running' | 'canceling' | 'canceled' | 'success' | 'failed';
  trace: Buffer;
  patches: number;
  /** 416 answers sent (the runner's offset differed from the stored trace). */
  rangeMismatches: number;
  artifacts: StoredArtifact[];
  updates: {
    state: string;
    failure_reason?: string;
    exit_code?: number;
    output?: { checksum: string; bytesize: number };
  }[];
  final?: { state: string; failure_reason?: string; exit_code?: number; checksum: string; bytesize: number };
  traceResetAllowed: boolean;
  dotenv: Record<string, string>;
  startedAt?: number;
  finishedAt?: number;
}

export interface Faults {
  /** Statuses answered to the next jobs/request calls instead of looking for a job. */
  requestStatuses: number[];
  /** Retry-After seconds sent with a faulted 429. */
  retryAfterS?: number;
  /** Called for every trace patch (1-based count per job): drop the connection before or after storing it. */
  dropPatch?: (job: JobRecord, n: number) => 'before-store' | 'after-store' | undefined;
  /** The next N final updates of any job answer 500. */
  finalUpdateFailures: number;
  /** X-GitLab-Trace-Update-Interval sent with every job response (seconds). */
  updateIntervalS: number;
  /** Hold jobs/request open up to this long when no job is ready (long polling). */
  longPollMs: number;
  /** Lose the last stored trace byte before the next final update (GitLab's copy goes wrong: 412). */
  loseTraceByteOnce?: boolean;
}

export class Coordinator {
  readonly jobs: JobRecord[] = [];
  readonly requests: { at: number; status: number; body: Record<string, unknown> }[] = [];
  readonly runnerTokens = new Set<string>();
  /** jobs/request calls being held open right now (long polling). */
  held = 0;
  readonly faults: Faults = { requestStatuses: [], finalUpdateFailures: 0, updateIntervalS: 1, longPollMs: 0 };
  registrationToken = 'GR1348941legacy-registration';
  /** Lets a test change a payload before it is handed out (fields the double does not make itself). */
  payloadHook?: (job: JobRecord, payload: JobPayload) => JobPayload;
  url = '';
  private server?: http.Server;
  private nextId = 100;
  private waiters: (() => void)[] = [];
  private readonly sha: string;

  constructor(
    readonly repoRoot: string,
    readonly projectPath: string,
    sha: string,
    readonly ref = 'main',
  ) {
    this.sha = sha;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  enqueue(spec: JobSpec): JobRecord {
    const job: JobRecord = {
      id: this.nextId++,
      token: `glcbt-${randomBytes(10).toString('hex')}`,
      spec,
      status: 'pending',
      trace: Buffer.alloc(0),
      patches: 0,
      rangeMismatches: 0,
      artifacts: [],
      updates: [],
      traceResetAllowed: false,
      dotenv: {},
    };
    this.jobs.push(job);
    this.changed();
    return job;
  }

  job(name: string): JobRecord {
    const j = this.jobs.find((x) => x.spec.name === name);
    if (!j) throw new Error(`no job ${name}`);
    return j;
  }

  /** Server-side cancel: "canceling" lets after_script run (GitLab 17+), "canceled" stops at once. */
  cancel(job: JobRecord, graceful = true): void {
    job.status = graceful ? 'canceling' : 'canceled';
  }

  /** Resolves when pred() holds (checked on every change, and every 50 ms). */
  async waitFor(pred: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  private changed(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private ready(): JobRecord | undefined {
    return this.jobs.find(
      (j) => j.status === 'pending' && (j.spec.needs ?? []).every((n) => this.job(n).status === 'success'),
    );
  }

  private payload(job: JobRecord): JobPayload {
    const repoUrl = new URL(`/${this.projectPath}.git`, this.url);
    repoUrl.username = 'gitlab-ci-token';
    repoUrl.password = job.token;
    const deps = (job.spec.needs ?? []).map((n) => this.job(n));
    const pre: PayloadVariable[] = [
      { key: 'CI_JOB_ID', value: String(job.id), public: true },
      { key: 'CI_JOB_NAME', value: job.spec.name, public: true },
      { key: 'CI_JOB_STAGE', value: job.spec.stage ?? 'test', public: true },
      { key: 'CI_JOB_TOKEN', value: job.token, public: false, masked: true },
      { key: 'CI_PROJECT_ID', value: '7', public: true },
      { key: 'CI_PROJECT_PATH', value: this.projectPath, public: true },
      { key: 'CI_PROJECT_NAME', value: this.projectPath.split('/').pop()!, public: true },
      { key: 'CI_PROJECT_NAMESPACE', value: this.projectPath.split('/').slice(0, -1).join('/'), public: true },
      { key: 'CI_COMMIT_SHA', value: this.sha, public: true },
      { key: 'CI_COMMIT_REF_NAME', value: this.ref, public: true },
      { key: 'CI_PIPELINE_ID', value: '55', public: true },
      { key: 'CI_SERVER_URL', value: this.url, public: true },
      { key: 'CI', value: 'true', public: true },
      { key: 'GITLAB_CI', value: 'true', public: true },
      ...(job.spec.gitDepth !== undefined
        ? [{ key: 'GIT_DEPTH', value: String(job.spec.gitDepth), public: true }]
        : []),
    ];
    // GitLab puts the dotenv variables of the jobs this one needs into its variables.
    const dotenv = deps.flatMap((d) => Object.entries(d.dotenv).map(([key, value]) => ({ key, value, public: true })));
    return {
      id: job.id,
      token: job.token,
      allow_git_fetch: true,
      job_info: {
        name: job.spec.name,
        stage: job.spec.stage ?? 'test',
        project_id: 7,
        project_name: this.projectPath.split('/').pop()!,
        project_full_path: this.projectPath,
      },
      git_info: {
        repo_url: repoUrl.toString(),
        ref: this.ref,
        sha: this.sha,
        ref_type: 'branch',
        refspecs: [`+refs/heads/${this.ref}:refs/remotes/origin/${this.ref}`],
        depth: 20,
      },
      runner_info: { timeout: job.spec.timeout ?? 3600 },
      variables: [...pre, ...(job.spec.variables ?? []), ...dotenv],
      steps: [
        {
          name: 'script',
          script: job.spec.script,
          timeout: job.spec.timeout ?? 3600,
          when: 'on_success',
          allow_failure: false,
        },
        ...(job.spec.afterScript
          ? [
              {
                name: 'after_script',
                script: job.spec.afterScript,
                timeout: 3600,
                when: 'always' as const,
                allow_failure: true,
              },
            ]
          : []),
      ],
      ...(job.spec.image ? { image: job.spec.image } : {}),
      services: job.spec.services ?? [],
      artifacts: job.spec.artifacts ?? null,
      cache: job.spec.cache ?? null,
      dependencies: deps.map((d) => {
        const a = d.artifacts.find((x) => x.type === 'archive');
        return {
          id: d.id,
          name: d.spec.name,
          token: job.token,
          ...(a ? { artifacts_file: { filename: a.filename, size: a.data.length } } : {}),
        };
      }),
      features: {
        trace_sections: true,
        failure_reasons: ['script_failure', 'runner_system_failure', 'job_execution_timeout', 'unknown_failure'],
      },
    };
  }

  private jobHeaders(job: JobRecord): Record<string, string> {
    return { 'Job-Status': job.status, 'X-GitLab-Trace-Update-Interval': String(this.faults.updateIntervalS) };
  }

  private byToken(req: http.IncomingMessage, id: number): JobRecord | undefined {
    const job = this.jobs.find((j) => j.id === id);
    return job && req.headers['job-token'] === job.token ? job : undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    const send = (status: number, data?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { ...(data !== undefined ? { 'content-type': 'application/json' } : {}), ...headers });
      res.end(data !== undefined ? JSON.stringify(data) : undefined);
      this.changed();
    };
    const json = () => (body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {});
    const p = url.pathname;
    if (p.includes('.git/') || p.endsWith('.git')) return this.git(req, res, url, body);
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && p === '/api/v4/runners') {
      const b = json();
      if (b.token !== this.registrationToken) return send(403, { message: '403 Forbidden' });
      const token = `legacy-${randomBytes(8).toString('hex')}`;
      this.runnerTokens.add(token);
      return send(201, { id: 9, token, token_expires_at: null });
    }
    if (req.method === 'POST' && p === '/api/v4/runners/verify') {
      const b = json();
      if (!this.runnerTokens.has(String(b.token))) return send(403, { message: '403 Forbidden' });
      return send(200, { id: 12, token: b.token, token_expires_at: null });
    }
    if (req.method === 'DELETE' && (p === '/api/v4/runners' || p === '/api/v4/runners/managers')) {
      const b = json();
      if (!this.runnerTokens.has(String(b.token))) return send(403, { message: '403 Forbidden' });
      if (p === '/api/v4/runners') this.runnerTokens.delete(String(b.token));
      return send(204);
    }
    if (req.method === 'POST' && p === '/api/v4/jobs/request') {
      const b = json();
      const fault = this.faults.requestStatuses.shift();
      if (fault !== undefined) {
        this.requests.push({ at: Date.now(), status: fault, body: b });
        return send(
          fault,
          { message: 'fault' },
          fault === 429 && this.faults.retryAfterS !== undefined
            ? { 'Retry-After': String(this.faults.retryAfterS) }
            : {},
        );
      }
      if (!this.runnerTokens.has(String(b.token))) {
        this.requests.push({ at: Date.now(), status: 403, body: b });
        return send(403, { message: '403 Forbidden' });
      }
      let job = this.ready();
      const until = Date.now() + this.faults.longPollMs;
      if (!job && Date.now() < until) this.held++;
      while (!job && Date.now() < until && !req.socket.destroyed) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          this.waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
        job = this.ready();
      }
      if (this.faults.longPollMs) this.held = Math.max(0, this.held - 1);
      if (!job) {
        this.requests.push({ at: Date.now(), status: 204, body: b });
        return send(204, undefined, { 'X-GitLab-Last-Update': 'lu-1' });
      }
      job.status = 'running';
      job.startedAt = Date.now();
      this.requests.push({ at: Date.now(), status: 201, body: b });
      const payload = this.payloadHook ? this.payloadHook(job, this.payload(job)) : this.payload(job);
      return send(201, payload, { 'X-GitLab-Last-Update': 'lu-2' });
    }
    if ((m = /^\/api\/v4\/jobs\/(\d+)\/trace$/.exec(p)) && req.method === 'PATCH') {
      const job = this.byToken(req, Number(m[1]));
      if (!job) return send(403, { message: '403 Forbidden' });
      if (!['running', 'canceling'].includes(job.status))
        return send(403, { message: '403 Forbidden - Job is not running' }, this.jobHeaders(job));
      const range = /^(\d+)-(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
      if (!range) return send(400, { message: 'Content-Range required' });
      const start = Number(range[1]);
      job.patches++;
      const drop = this.faults.dropPatch?.(job, job.patches);
      if (drop === 'before-store') return void req.socket.destroy();
      if (start === 0 && job.traceResetAllowed) {
        job.trace = Buffer.alloc(0); // GitLab's trace_reset: a patch from 0 after a failed validation replaces the trace
        job.traceResetAllowed = false;
      }
      if (start !== job.trace.length) job.rangeMismatches++;
      if (start !== job.trace.length)
        return send(
          416,
          { message: '416 Range Not Satisfiable' },
          { ...this.jobHeaders(job), Range: `0-${job.trace.length}` },
        );
      if (Number(range[2]) - start + 1 !== body.length)
        return send(400, { message: 'Content-Range does not match the body' });
      job.trace = Buffer.concat([job.trace, body]);
      if (drop === 'after-store') return void req.socket.destroy();
      return send(202, undefined, { ...this.jobHeaders(job), Range: `0-${job.trace.length}` });
    }
    if ((m = /^\/api\/v4\/jobs\/(\d+)$/.exec(p)) && req.method === 'PUT') {
      const job = this.byToken(req, Number(m[1]));
      if (!job) return send(403, { message: '403 Forbidden' });
      const b = json() as JobRecord['updates'][number];
      job.updates.push(b);
      if (b.state === 'running') return send(200, undefined, this.jobHeaders(job));
      if (['canceled', 'success', 'failed'].includes(job.status)) return send(200, undefined, this.jobHeaders(job));
      if (this.faults.finalUpdateFailures > 0) {
        this.faults.finalUpdateFailures--;
        return send(500, { message: '500 Internal Server Error' });
      }
      if (this.faults.loseTraceByteOnce) {
        this.faults.loseTraceByteOnce = false;
        job.trace = job.trace.subarray(0, job.trace.length - 1);
      }
      const checksum = `crc32:${(crc32(job.trace) >>> 0).toString(16).padStart(8, '0')}`;
      if (b.output?.checksum !== checksum || b.output?.bytesize !== job.trace.length) {
        job.traceResetAllowed = true;
        return send(412, { message: 'trace validation failed' }, this.jobHeaders(job));
      }
      job.final = {
        state: b.state,
        failure_reason: b.failure_reason,
        exit_code: b.exit_code,
        checksum: b.output.checksum,
        bytesize: b.output.bytesize,
      };
      job.status = job.status === 'canceling' ? 'canceled' : b.state === 'success' ? 'success' : 'failed';
      job.finishedAt = Date.now();
      return send(200, undefined, this.jobHeaders(job));
    }
    if ((m = /^\/api\/v4\/jobs\/(\d+)\/artifacts$/.exec(p)) && req.method === 'POST') {
      const job = this.byToken(req, Number(m[1]));
      if (!job) return send(403, { message: '403 Forbidden' });
      const file = multipartFile(String(req.headers['content-type'] ?? ''), body);
      if (!file) return send(400, { message: 'file is missing' });
      const a: StoredArtifact = {
        type: url.searchParams.get('artifact_type') ?? 'archive',
        format: url.searchParams.get('artifact_format') ?? 'zip',
        expireIn: url.searchParams.get('expire_in') ?? undefined,
        filename: file.filename,
        data: file.data,
      };
      job.artifacts.push(a);
      if (a.type === 'dotenv') {
        for (const l of gunzipSync(a.data).toString('utf8').split('\n')) {
          const eq = l.indexOf('=');
          if (eq > 0) job.dotenv[l.slice(0, eq).trim()] = l.slice(eq + 1);
        }
      }
      return send(201, {});
    }
    if ((m = /^\/api\/v4\/jobs\/(\d+)\/artifacts$/.exec(p)) && req.method === 'GET') {
      const asker = this.jobs.find(
        (j) => j.token === req.headers['job-token'] && ['running', 'canceling'].includes(j.status),
      );
      if (!asker) return send(403, { message: '403 Forbidden' });
      const a = this.jobs.find((j) => j.id === Number(m![1]))?.artifacts.find((x) => x.type === 'archive');
      if (!a) return send(404, { message: '404 Not Found' });
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(a.data.length) });
      res.end(a.data);
      return;
    }
    send(404, { message: `404 ${req.method} ${p}` });
  }

  /** Smart HTTP through `git http-backend` (CGI), allowed for job tokens of running jobs. */
  private async git(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): Promise<void> {
    const auth = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
    const [user, pass] = auth ? Buffer.from(auth[1], 'base64').toString('utf8').split(':') : [];
    if (
      user !== 'gitlab-ci-token' ||
      !this.jobs.some((j) => j.token === pass && ['running', 'canceling'].includes(j.status))
    ) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="GitLab"' });
      res.end('HTTP Basic: Access denied');
      return;
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: this.repoRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: String(req.headers['content-type'] ?? ''),
      CONTENT_LENGTH: String(body.length),
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
    };
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    // http-backend may exit without reading its input (e.g. an error answer): no EPIPE crash of the double.
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
    await new Promise<void>((r) => child.on('close', () => r()));
    const out = Buffer.concat(chunks);
    const split = out.indexOf('\r\n\r\n');
    const head = out.subarray(0, split).toString('utf8').split('\r\n');
    const headers: Record<string, string> = {};
    let status = 200;
    for (const h of head) {
      const i = h.indexOf(':');
      const k = h.slice(0, i).trim();
      const v = h.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
      else headers[k] = v;
    }
    res.writeHead(status, headers);
    res.end(out.subarray(split + 4));
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function multipartFile(contentType: string, body: Buffer): { filename: string; data: Buffer } | undefined {
  const b = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!b) return undefined;
  const boundary = Buffer.from(`--${b[1] ?? b[2]}`);
  let pos = body.indexOf(boundary);
  while (pos >= 0) {
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) return undefined;
    const head = body.subarray(pos + boundary.length, headEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), boundary]), headEnd);
    if (next < 0) return undefined;
    const name = /name="([^"]*)"/.exec(head)?.[1];
    if (name === 'file')
      return {
        filename: /filename="([^"]*)"/.exec(head)?.[1] ?? '',
        data: Buffer.from(body.subarray(headEnd + 4, next)),
      };
    pos = next + 2;
  }
  return undefined;
}
