// HTTP for the coordinator client: one keep-alive agent per runner (TLS CA / client certificate from config.toml's
// tls-ca-file, tls-cert-file, tls-key-file), and GitLab Runner's retry of rate-limited and failing requests
// (network/retry_requester.go: 408, 429, 500, 502, 503, 504 are retried up to 5 attempts with an exponential
// back-off from 100 ms to 60 s, waiting for Retry-After / RateLimit-ResetTime when the server gives them).
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { RunnerError } from './errors.js';

export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Whole-request limit (long polling holds jobs/request open for up to ~50 s on GitLab). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Retry 408/429/5xx (default true). */
  retry?: boolean;
  /** Stream the response body here instead of buffering it (downloads); body is empty then. */
  sink?: (res: http.IncomingMessage) => Promise<void>;
}

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const MAX_ATTEMPTS = 5;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 60_000;

export class HttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;

  constructor(tls: TlsFiles = {}) {
    const read = (f?: string) => {
      if (!f) return undefined;
      try {
        return readFileSync(f);
      } catch (e) {
        throw new RunnerError(`cannot read TLS file ${f}: ${(e as Error).message}`);
      }
    };
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      ca: read(tls.caFile),
      cert: read(tls.certFile),
      key: read(tls.keyFile),
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let delay = BACKOFF_MIN_MS;
    for (let attempt = 1; ; attempt++) {
      const res = await this.once(req);
      if (req.retry === false || !RETRY_STATUSES.has(res.status) || attempt >= MAX_ATTEMPTS || req.sink) return res;
      const wait = waitFromHeaders(res.headers) ?? delay * (0.5 + Math.random());
      delay = Math.min(delay * 2, BACKOFF_MAX_MS);
      await sleep(Math.min(wait, BACKOFF_MAX_MS), req.signal);
    }
  }

  private once(req: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const mod = req.url.protocol === 'https:' ? https : http;
      const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
      const headers: Record<string, string> = { 'user-agent': 'kiln-runner', ...req.headers };
      if (body) headers['content-length'] = String(body.length);
      const r = mod.request(
        req.url,
        {
          method: req.method,
          headers,
          agent: req.url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          signal: req.signal,
        },
        (res) => {
          if (req.sink && res.statusCode === 200) {
            req.sink(res).then(() => resolve({ status: 200, headers: res.headers, body: Buffer.alloc(0) }), reject);
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      if (req.timeoutMs) {
        r.setTimeout(req.timeoutMs, () =>
          r.destroy(new RunnerError(`${req.method} ${redactUrl(req.url)}: no answer in ${req.timeoutMs} ms`)),
        );
      }
      r.on('error', (e) =>
        reject(e instanceof RunnerError ? e : new RunnerError(`${req.method} ${redactUrl(req.url)}: ${e.message}`)),
      );
      r.end(body);
    });
  }
}

/** Retry-After (seconds or an HTTP date) or RateLimit-ResetTime (an HTTP date), in ms from now. */
export function waitFromHeaders(headers: http.IncomingHttpHeaders): number | undefined {
  const retryAfter = headers['retry-after'];
  if (typeof retryAfter === 'string') {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  const reset = headers['ratelimit-resettime'];
  if (typeof reset === 'string') {
    const at = Date.parse(reset);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  return undefined;
}

/** A URL for messages: user info (tokens in clone URLs) removed. */
export function redactUrl(url: URL | string): string {
  const u = new URL(url.toString());
  if (u.username || u.password) {
    u.username = u.username ? 'gitlab-ci-token' : '';
    u.password = u.password ? '[MASKED]' : '';
  }
  return u.toString();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
