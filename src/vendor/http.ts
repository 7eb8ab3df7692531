// HTTP(S) GET for `kiln vendor`: a time limit, a size limit (an include is a YAML file, not a download), the status
// checked, and errors that say which URL failed and why. Redirects are followed (fetch's default).
import { VendorError } from '../errors.js';

export const MAX_INCLUDE_BYTES = 4 * 1024 * 1024;

export interface HttpOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBytes?: number;
}

export async function httpGet(url: string, o: HttpOptions = {}): Promise<Buffer> {
  const max = o.maxBytes ?? MAX_INCLUDE_BYTES;
  let res: Response;
  try {
    res = await fetch(url, { headers: o.headers, signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const code = e.cause?.code;
    const why =
      e.name === 'TimeoutError'
        ? 'timed out'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? `${code}: host not found (is the network reachable?)`
          : code === 'ECONNREFUSED'
            ? `${code}: connection refused`
            : (code ?? e.cause?.message ?? e.message);
    throw new VendorError(`GET ${redact(url)}: ${why}`, 'E_VENDOR_NETWORK');
  }
  if (!res.ok) {
    await res.body?.cancel();
    const hint =
      res.status === 401 || res.status === 403 || res.status === 404
        ? ' (a private project needs a token: set GITLAB_TOKEN)'
        : '';
    throw new VendorError(`GET ${redact(url)}: HTTP ${res.status} ${res.statusText}${hint}`, 'E_VENDOR_HTTP');
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel();
    throw new VendorError(
      `GET ${redact(url)}: ${declared} bytes, more than the ${max} an include may have`,
      'E_VENDOR_SIZE',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > max)
        throw new VendorError(`GET ${redact(url)}: more than the ${max} bytes an include may have`, 'E_VENDOR_SIZE');
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}

export async function httpJson(url: string, o: HttpOptions = {}): Promise<unknown> {
  const data = await httpGet(url, o);
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    throw new VendorError(`GET ${redact(url)}: the answer is not JSON`, 'E_VENDOR_HTTP');
  }
}

/** URLs are printed without the user:password part (the token itself travels in a header). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}
