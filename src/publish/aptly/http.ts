// A small JSON-over-HTTP client for aptly's REST API with retries for transient failures: connection
// refused/reset/timeouts and 5xx answers, except 5xx bodies that describe a deterministic problem (missing gpg
// key, package conflict, ...) — retrying those cannot help. Backoff doubles from `backoffMs`.
import { AptlyError } from '../errors.js';

export interface AptlyHttpOptions {
  baseUrl: string;
  headers?: Record<string, string>;
  retries?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

export interface AptlyResponse {
  status: number;
  body: unknown;
  text: string;
  /** The request that got this answer, for messages: method and the full URL. */
  method: string;
  url: string;
}

const DETERMINISTIC =
  /gpg|signer|signing|keyring|conflict|already exists|exists and is different|duplicate|not found|invalid|unable to parse|unable to publish/i;
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** aptly answers errors as {"error": "..."} or [{"error": "...", "meta": "..."}]; returns the messages. */
export function aptlyErrorText(body: unknown, text: string): string {
  const list = Array.isArray(body) ? body : [body];
  const msgs = list
    .map((b) => (b && typeof b === 'object' && 'error' in b ? String((b as { error: unknown }).error) : ''))
    .filter(Boolean);
  return msgs.length ? msgs.join('; ') : text.trim().slice(0, 500) || '(empty body)';
}

function netCode(e: unknown): string | undefined {
  const err = e as { code?: string; cause?: { code?: string; errors?: { code?: string }[] } };
  return err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.code;
}

export class AptlyHttp {
  readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(o: AptlyHttpOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.headers = o.headers ?? {};
    this.retries = o.retries ?? 4;
    this.backoffMs = o.backoffMs ?? 250;
    this.timeoutMs = o.timeoutMs ?? 120_000;
  }

  /** Sends a request; `body` is JSON-encoded unless it is FormData. Non-2xx answers come back, not thrown. */
  async request(method: string, path: string, body?: unknown): Promise<AptlyResponse> {
    const url = `${this.base}${path}`;
    let attempt = 0;
    for (;;) {
      let res: Response;
      try {
        const init: RequestInit = { method, headers: { ...this.headers }, signal: AbortSignal.timeout(this.timeoutMs) };
        if (body instanceof FormData) init.body = body;
        else if (body !== undefined) {
          init.body = JSON.stringify(body);
          (init.headers as Record<string, string>)['content-type'] = 'application/json';
        }
        res = await fetch(url, init);
      } catch (e) {
        const code = netCode(e) ?? ((e as Error).name === 'TimeoutError' ? 'ETIMEDOUT' : undefined);
        if (code && NET_CODES.has(code) && attempt < this.retries) {
          await this.sleep(attempt++);
          continue;
        }
        throw new AptlyError(
          `cannot reach aptly at ${this.base} (${method} ${url}): ${code ?? (e as Error).message}` +
            (attempt ? ` after ${attempt + 1} attempts` : '') +
            '. Is `aptly api serve` running and the --url right?',
        );
      }
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      const transient =
        res.status === 502 ||
        res.status === 503 ||
        res.status === 504 ||
        (res.status >= 500 && !DETERMINISTIC.test(text));
      if (transient && attempt < this.retries) {
        await this.sleep(attempt++);
        continue;
      }
      return { status: res.status, body: parsed, text, method, url };
    }
  }

  private sleep(attempt: number): Promise<void> {
    return new Promise((r) => setTimeout(r, this.backoffMs * 2 ** attempt));
  }
}
