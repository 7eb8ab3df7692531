// The job log sent to GitLab as GitLab Runner's network/trace.go does: bytes are appended to a buffer (already
// masked), and every update interval (3 s, or the server's X-GitLab-Trace-Update-Interval) the unsent part goes
// out with PATCH .../trace and Content-Range (at most 1 MiB per patch). A 416 answer moves the offset to the
// server's length and sends from there, so a connection lost after the server stored a patch neither loses nor
// duplicates bytes. The final update (PUT with the crc32 checksum and size) is sent only once every byte is
// acknowledged, and retried until GitLab accepts it (412: the server's copy is wrong, the whole trace is sent
// again). Job-Status canceling → onCancel (after_script still runs); canceled/failed → onAbort.
// Output beyond output_limit is dropped with GitLab Runner's notice.
import { crc32 } from 'node:zlib';
import type { CoordinatorClient, RemoteJobState } from './api.js';
import type { FailureReason, JobState, RunnerInfo } from './api-types.js';
import { sleep } from './http.js';

/** common/consts.go. */
export const DEFAULT_UPDATE_INTERVAL_MS = 3000;
const MAX_UPDATE_INTERVAL_MS = 15 * 60 * 1000;
const TRACE_PATCH_LIMIT = 1024 * 1024;
const FORCE_SEND_INTERVAL_MS = 30_000;
const FINAL_BACKOFF_MIN_MS = 1000;
const FINAL_BACKOFF_MAX_MS = 60_000;

export interface TraceOptions {
  client: CoordinatorClient;
  jobId: number;
  jobToken: string;
  info: RunnerInfo;
  limitBytes: number;
  finalUpdateRetryLimit: number;
  onCancel: () => void;
  onAbort: () => void;
  /** Log lines about the coordinator conversation (never job output). */
  log?: (line: string) => void;
}

export interface FinalResult {
  state: JobState;
  failureReason?: FailureReason;
  exitCode?: number;
}

export class TraceStreamer {
  private chunks: Buffer[] = [];
  private buf = Buffer.alloc(0);
  private size = 0;
  private sum = 0;
  private sent = 0;
  private sentAt = Date.now();
  private intervalMs = DEFAULT_UPDATE_INTERVAL_MS;
  private limited = false;
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private stopped = false;
  private aborted = false;
  /** Patch statistics (for tests and logs). */
  readonly stats = { patches: 0, rangeMismatches: 0, failures: 0, finalAttempts: 0 };

  constructor(private readonly o: TraceOptions) {}

  start(): void {
    this.schedule();
  }

  get bytes(): number {
    return this.size;
  }

  get checksum(): string {
    return `crc32:${(this.sum >>> 0).toString(16).padStart(8, '0')}`;
  }

  /** Appends job log bytes (masked by the caller). */
  write(data: Buffer): void {
    if (this.limited || data.length === 0) return;
    const room = this.o.limitBytes - this.size;
    if (data.length >= room) {
      this.append(data.subarray(0, Math.max(0, room)));
      this.limited = true;
      // helpers/trace/buffer.go writeLimitExceededMessage.
      this.append(
        Buffer.from(
          `\n\x1b[33;1mJob's log exceeded limit of ${this.o.limitBytes} bytes.\n` +
            'Job execution will continue but no more output will be collected.\x1b[0;m\n',
        ),
      );
      return;
    }
    this.append(data);
  }

  private append(data: Buffer): void {
    if (!data.length) return;
    this.chunks.push(Buffer.from(data));
    this.size += data.length;
    this.sum = crc32(data, this.sum);
  }

  private content(): Buffer {
    if (this.chunks.length) {
      this.buf = Buffer.concat([this.buf, ...this.chunks]);
      this.chunks = [];
    }
    return this.buf;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sending = this.incremental().finally(() => {
        this.sending = undefined;
        this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private setInterval(remote: RemoteJobState): void {
    if (remote.updateIntervalS) this.intervalMs = Math.min(remote.updateIntervalS * 1000, MAX_UPDATE_INTERVAL_MS);
  }

  private react(remote: RemoteJobState): void {
    this.setInterval(remote);
    if (remote.abort && !this.aborted) {
      this.aborted = true;
      this.o.onAbort();
    } else if (remote.cancelRequested) this.o.onCancel();
  }

  /** One patch of unsent bytes; returns its outcome kind. */
  private async sendPatch(): Promise<string> {
    const all = this.content();
    if (this.sent >= all.length) return 'nothing';
    const part = all.subarray(this.sent, Math.min(all.length, this.sent + TRACE_PATCH_LIMIT));
    this.stats.patches++;
    const r = await this.o.client.patchTrace(this.o.jobId, this.o.jobToken, part, this.sent);
    this.react(r.remote);
    if (r.kind === 'ok') {
      this.sent = r.sentTo;
      this.sentAt = Date.now();
    } else if (r.kind === 'range-mismatch') {
      this.stats.rangeMismatches++;
      this.o.log?.(
        `trace: the server has ${r.serverOffset} bytes, kiln had sent up to ${this.sent}; sending from ${Math.min(r.serverOffset, all.length)}`,
      );
      this.sent = Math.min(r.serverOffset, all.length);
      this.sentAt = Date.now();
    } else if (r.kind === 'failed') {
      this.stats.failures++;
      this.o.log?.(`trace: patch failed (${r.detail}); will send again`);
    }
    return r.kind;
  }

  private async incremental(): Promise<void> {
    const kind = await this.sendPatch();
    if (kind === 'abort' || kind === 'not-found') return;
    if (kind === 'nothing' || kind === 'ok') {
      // Touch the job when nothing was sent for a while, to learn about cancellation (trace.go touchJob).
      if (Date.now() - this.sentAt > FORCE_SEND_INTERVAL_MS) {
        const u = await this.o.client.updateJob(this.o.jobId, this.o.jobToken, this.updateBody({ state: 'running' }));
        this.react(u.remote);
        if (u.kind === 'ok') this.sentAt = Date.now();
      }
    }
  }

  private updateBody(r: FinalResult) {
    const output = { checksum: this.checksum, bytesize: this.size };
    return {
      info: this.o.info,
      token: this.o.jobToken,
      state: r.state,
      output,
      checksum: output.checksum,
      ...(r.failureReason ? { failure_reason: r.failureReason } : {}),
      ...(r.exitCode !== undefined ? { exit_code: r.exitCode } : {}),
    };
  }

  /** Sends the rest of the trace and the final state; resolves once GitLab accepted it (or gave up on the job). */
  async finish(result: FinalResult): Promise<'accepted' | 'aborted' | 'gave-up'> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sending;
    this.intervalMs = DEFAULT_UPDATE_INTERVAL_MS;
    let backoff = FINAL_BACKOFF_MIN_MS;
    for (let attempt = 1; attempt <= this.o.finalUpdateRetryLimit; attempt++) {
      this.stats.finalAttempts++;
      let failed = false;
      // trace.go ensureAllTraceSent: every byte acknowledged before the final PUT.
      while (this.sent < this.content().length) {
        const kind = await this.sendPatch();
        if (kind === 'abort' || kind === 'not-found') return 'aborted';
        if (kind === 'failed') {
          failed = true;
          break;
        }
        if (kind === 'range-mismatch') await sleep(Math.min(this.intervalMs, 1000));
      }
      if (!failed) {
        const u = await this.o.client.updateJob(this.o.jobId, this.o.jobToken, this.updateBody(result));
        this.setInterval(u.remote);
        if (u.kind === 'ok') return 'accepted';
        if (u.kind === 'abort' || u.kind === 'not-found') return 'aborted';
        if (u.kind === 'trace-validation-failed') this.sent = 0;
        if (u.kind === 'accepted' || u.kind === 'trace-validation-failed') {
          attempt--; // not a failure: GitLab is still processing (trace.go loops without counting these)
          await sleep(this.intervalMs);
          continue;
        }
        this.o.log?.(`final update failed (${u.kind === 'failed' ? u.detail : u.kind}); retrying`);
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, FINAL_BACKOFF_MAX_MS);
    }
    return 'gave-up';
  }
}
