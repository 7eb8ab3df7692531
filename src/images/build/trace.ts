// BuildKit's progress, as the Docker Engine streams it for a BuildKit build (`POST /build?version=2`): JSON lines
// whose `aux` field, for id "moby.buildkit.trace", is a base64 protobuf `moby.buildkit.v1.StatusResponse`
// (BuildKit's control.proto). Only the fields kiln shows are read: vertexes (build steps: name, cached,
// started/completed, error) and logs (the output of RUN steps). A hand-written reader of the protobuf wire format
// (varints and length-delimited fields) is enough for that and needs no generated code.

export interface TraceVertex {
  digest: string;
  name: string;
  cached: boolean;
  started: boolean;
  completed: boolean;
  error?: string;
}

export interface TraceLog {
  vertex: string;
  /** 1 stdout, 2 stderr. */
  stream: number;
  msg: Buffer;
}

export interface TraceStatus {
  vertexes: TraceVertex[];
  logs: TraceLog[];
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end = buf.length,
  ) {}
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }
  /** Yields [field number, wire type, sub-reader or value] for each field of the message. */
  *fields(): Generator<[number, number, Reader | bigint]> {
    while (this.pos < this.end) {
      const key = Number(this.varint());
      const field = key >>> 3;
      const wire = key & 7;
      if (wire === 0) yield [field, wire, this.varint()];
      else if (wire === 2) {
        const len = Number(this.varint());
        if (this.pos + len > this.end) throw new Error('truncated field');
        const sub = new Reader(this.buf, this.pos + len);
        sub.pos = this.pos;
        this.pos += len;
        yield [field, wire, sub];
      } else if (wire === 1) this.pos += 8;
      else if (wire === 5) this.pos += 4;
      else throw new Error(`unsupported wire type ${wire}`);
    }
  }
  bytes(): Buffer {
    return this.buf.subarray(this.pos, this.end);
  }
}

function vertex(r: Reader): TraceVertex {
  const v: TraceVertex = { digest: '', name: '', cached: false, started: false, completed: false };
  for (const [field, , value] of r.fields()) {
    if (field === 1 && value instanceof Reader) v.digest = value.bytes().toString('utf8');
    else if (field === 3 && value instanceof Reader) v.name = value.bytes().toString('utf8');
    else if (field === 4 && typeof value === 'bigint') v.cached = value !== 0n;
    else if (field === 5) v.started = true;
    else if (field === 6) v.completed = true;
    else if (field === 7 && value instanceof Reader) v.error = value.bytes().toString('utf8');
  }
  return v;
}

function log(r: Reader): TraceLog {
  const l: TraceLog = { vertex: '', stream: 1, msg: Buffer.alloc(0) };
  for (const [field, , value] of r.fields()) {
    if (field === 1 && value instanceof Reader) l.vertex = value.bytes().toString('utf8');
    else if (field === 3 && typeof value === 'bigint') l.stream = Number(value);
    else if (field === 4 && value instanceof Reader) l.msg = Buffer.from(value.bytes());
  }
  return l;
}

/** Decodes one StatusResponse (the bytes of the base64 `aux`). Throws on malformed input. */
export function decodeStatus(bytes: Buffer): TraceStatus {
  const out: TraceStatus = { vertexes: [], logs: [] };
  for (const [field, , value] of new Reader(bytes).fields()) {
    if (!(value instanceof Reader)) continue;
    if (field === 1) out.vertexes.push(vertex(value));
    else if (field === 3) out.logs.push(log(value));
  }
  return out;
}

/**
 * Turns the stream of StatusResponses into readable lines: each step once when it starts (or as CACHED), its
 * output lines prefixed with the step's number, errors. Keeps per-build state (step numbers, partial lines).
 */
export class TraceFormatter {
  private readonly steps = new Map<string, { n: number; name: string; shown: boolean; done: boolean }>();
  private readonly partial = new Map<string, string>();
  private next = 1;
  cached = 0;
  executed = 0;

  constructor(private readonly emit: (line: string) => void) {}

  private step(digest: string, name: string) {
    let s = this.steps.get(digest);
    if (!s) {
      s = { n: this.next++, name, shown: false, done: false };
      this.steps.set(digest, s);
    }
    if (name) s.name = name;
    return s;
  }

  add(status: TraceStatus): void {
    // Steps that start first, then the output that came with them, then completions and errors: a step's last
    // output lines come before its error.
    for (const v of status.vertexes) {
      const s = this.step(v.digest, v.name);
      if (v.cached && !s.shown) {
        s.shown = true;
        s.done = true;
        this.cached++;
        this.emit(`#${s.n} CACHED ${s.name}`);
      } else if ((v.started || v.completed || v.error) && !s.shown) {
        s.shown = true;
        this.emit(`#${s.n} ${s.name}`);
      }
    }
    for (const l of status.logs) {
      const s = this.step(l.vertex, '');
      const text = (this.partial.get(l.vertex) ?? '') + l.msg.toString('utf8');
      const lines = text.split(/\r?\n/);
      this.partial.set(l.vertex, lines.pop() ?? '');
      for (const line of lines) this.emit(`#${s.n} ${line}`);
    }
    for (const v of status.vertexes) {
      const s = this.step(v.digest, v.name);
      if (v.completed && !s.done) {
        s.done = true;
        if (!s.name.startsWith('[internal]')) this.executed++;
      }
      if (v.error) {
        const rest = this.partial.get(v.digest);
        if (rest) this.emit(`#${s.n} ${rest}`);
        this.partial.delete(v.digest);
        this.emit(`#${s.n} ERROR: ${v.error}`);
      }
    }
  }

  flush(): void {
    for (const [vertex, rest] of this.partial) {
      if (rest) this.emit(`#${this.steps.get(vertex)?.n ?? '?'} ${rest}`);
    }
    this.partial.clear();
  }
}
