// Masks GitLab tokens by their prefix in the job log, as GitLab Runner does (common/buildlogger tokensanitizer):
// a prefix followed by token characters (A-Z a-z 0-9 - . _ =) becomes "<prefix>[MASKED]". `glpat-` is always
// masked; GitLab adds more in the job payload (features.token_mask_prefixes). Streaming: a prefix cut by a chunk
// boundary is held back until the next chunk shows what follows, and a token running past a chunk's end keeps
// being swallowed in the next chunk (no unbounded buffering).

const MASK = Buffer.from('[MASKED]');
const TOKEN_CHAR = new Uint8Array(256);
for (const c of '-._=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz') TOKEN_CHAR[c.charCodeAt(0)] = 1;

/** GitLab Runner's default prefix (tokensanitizer DefaultTokenPrefixes). */
export const DEFAULT_TOKEN_PREFIXES = ['glpat-'];

export class TokenPrefixMasker {
  private readonly prefixes: Buffer[];
  private carry = Buffer.alloc(0);
  private inToken = false;

  constructor(prefixes: string[]) {
    this.prefixes = [...new Set([...DEFAULT_TOKEN_PREFIXES, ...prefixes].filter(Boolean))]
      .map((p) => Buffer.from(p))
      .sort((a, b) => b.length - a.length);
  }

  /** Masks a chunk; `final` flushes what was held back. */
  push(chunk: Buffer, final = false): Buffer {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    const n = data.length;
    const out: Buffer[] = [];
    let i = 0;
    if (this.inToken) {
      while (i < n && TOKEN_CHAR[data[i]]) i++;
      if (i < n || final) this.inToken = false;
    }
    let from = i;
    outer: while (i < n) {
      for (const p of this.prefixes) {
        if (data[i] !== p[0]) continue;
        const avail = n - i;
        if (avail <= p.length) {
          // A prefix (or its start) at the end: wait for the bytes after it.
          if (!final && data.compare(p, 0, avail, i, n) === 0) {
            out.push(data.subarray(from, i));
            this.carry = Buffer.from(data.subarray(i));
            return Buffer.concat(out);
          }
          continue;
        }
        if (data.compare(p, 0, p.length, i, i + p.length) === 0 && TOKEN_CHAR[data[i + p.length]]) {
          out.push(data.subarray(from, i + p.length), MASK);
          i += p.length;
          while (i < n && TOKEN_CHAR[data[i]]) i++;
          from = i;
          if (i === n && !final) this.inToken = true;
          continue outer;
        }
      }
      i++;
    }
    out.push(data.subarray(from));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }
}
