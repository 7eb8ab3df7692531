// Streaming secret masker: replaces every occurrence of a secret by [MASKED], even when a secret is split across
// output chunks. It keeps back at most (longest secret − 1) bytes that could be the start of a secret.

export const MASK = Buffer.from('[MASKED]');

export class StreamMasker {
  private readonly secrets: Buffer[];
  private carry: Buffer = Buffer.alloc(0);

  constructor(secrets: Iterable<string>) {
    const uniq = [...new Set([...secrets].filter((s) => s.length > 0))];
    // Longest first, so a secret that contains another one is masked whole.
    this.secrets = uniq.map((s) => Buffer.from(s)).sort((a, b) => b.length - a.length);
  }

  get active(): boolean {
    return this.secrets.length > 0;
  }

  /** Masks a chunk; returns what can be emitted now. */
  push(chunk: Buffer): Buffer {
    if (!this.active) return chunk;
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const { out, rest } = this.scan(data, false);
    this.carry = rest;
    return out;
  }

  /** Emits what is held back (end of stream). */
  flush(): Buffer {
    if (!this.active || this.carry.length === 0) return Buffer.alloc(0);
    const { out } = this.scan(this.carry, true);
    this.carry = Buffer.alloc(0);
    return out;
  }

  /** Masks a complete string (summaries, error messages). */
  maskString(text: string): string {
    if (!this.active) return text;
    return this.scan(Buffer.from(text), true).out.toString();
  }

  private scan(data: Buffer, final: boolean): { out: Buffer; rest: Buffer } {
    const parts: Buffer[] = [];
    let emitFrom = 0;
    let i = 0;
    const n = data.length;
    outer: while (i < n) {
      for (const s of this.secrets) {
        if (data[i] !== s[0]) continue;
        const avail = n - i;
        if (avail >= s.length) {
          if (data.compare(s, 0, s.length, i, i + s.length) === 0) {
            if (i > emitFrom) parts.push(data.subarray(emitFrom, i));
            parts.push(MASK);
            i += s.length;
            emitFrom = i;
            continue outer;
          }
        } else if (!final && data.compare(s, 0, avail, i, n) === 0) {
          // Possible start of a secret cut by the chunk boundary: hold the tail back.
          if (i > emitFrom) parts.push(data.subarray(emitFrom, i));
          return { out: Buffer.concat(parts), rest: Buffer.from(data.subarray(i)) };
        }
      }
      i++;
    }
    if (n > emitFrom) parts.push(data.subarray(emitFrom, n));
    return { out: parts.length === 1 ? parts[0] : Buffer.concat(parts), rest: Buffer.alloc(0) };
  }
}

/** A copy of a JSON-like value with every string (keys included) masked: summaries, messages, reports. */
export function maskStrings<T>(value: T, masker: StreamMasker): T {
  if (!masker.active) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return masker.maskString(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [masker.maskString(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
