// Job output: masked, split into lines, written to the job's log (with timestamps and sections) and to the
// console prefixed by the job name. stdout and stderr go through one masker in the order their chunks arrive:
// a secret written half to each stream is still one secret in the log.
import { createWriteStream, type WriteStream } from 'node:fs';
import { StreamMasker } from './mask.js';
import type { Console } from './console.js';

/** Longest line kept in memory before it is written out as is. */
const MAX_LINE = 64 * 1024;

export class JobOutput {
  private readonly log: WriteStream;
  private masker: StreamMasker;
  /** The unterminated line so far, and the stream that began it (its tag in the log). */
  private partial = '';
  private partialStream: 'stdout' | 'stderr' = 'stdout';
  private plainMasker: StreamMasker;
  private closed = false;

  constructor(
    readonly jobName: string,
    logPath: string,
    private readonly console: Console,
    secrets: string[],
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
    this.log.on('error', () => undefined);
    this.masker = new StreamMasker(secrets);
    this.plainMasker = new StreamMasker(secrets);
  }

  /** From now on, these values are masked (set once the job's variables are known). */
  setSecrets(secrets: string[]): void {
    this.flushStreams();
    this.masker = new StreamMasker(secrets);
    this.plainMasker = new StreamMasker(secrets);
  }

  /** Raw output from the job's scripts. */
  write(chunk: Buffer, stream: 'stdout' | 'stderr'): void {
    const masked = this.masker.push(chunk);
    if (masked.length) this.addText(masked.toString('utf8'), stream);
  }

  /** A message from kiln itself (masked too: messages may quote variable values). */
  info(text: string, color?: 'green' | 'yellow' | 'red' | 'cyan'): void {
    this.flushStreams();
    const masked = this.plainMasker.maskString(text);
    for (const line of masked.split('\n')) this.emit(line, 'K', color);
  }

  sectionStart(name: string, header: string): void {
    this.flushStreams();
    this.log.write(`${new Date().toISOString()} section_start:${Math.floor(Date.now() / 1000)}:${name}\n`);
    this.info(header, 'cyan');
  }

  sectionEnd(name: string): void {
    this.flushStreams();
    this.log.write(`${new Date().toISOString()} section_end:${Math.floor(Date.now() / 1000)}:${name}\n`);
  }

  private addText(text: string, stream: 'stdout' | 'stderr'): void {
    if (!this.partial) this.partialStream = stream;
    const lines = (this.partial + text).split('\n');
    let rest = lines.pop()!;
    // Output without newlines (progress bars, binary data) is cut into lines instead of piling up.
    while (rest.length > MAX_LINE) {
      lines.push(rest.slice(0, MAX_LINE));
      rest = rest.slice(MAX_LINE);
    }
    lines.forEach((l, i) => this.emit(l.replace(/\r$/, ''), tag(i === 0 ? this.partialStream : stream)));
    this.partial = rest;
    if (lines.length) this.partialStream = stream;
  }

  /** Ends the scripts' streams (held-back bytes and unterminated lines). */
  flushStreams(): void {
    const rest = this.masker.flush();
    if (rest.length) this.addText(rest.toString('utf8'), this.partialStream);
    if (this.partial) {
      this.emit(this.partial, tag(this.partialStream));
      this.partial = '';
    }
  }

  private emit(line: string, stream: 'O' | 'E' | 'K', color?: string): void {
    this.log.write(`${new Date().toISOString()} ${stream} ${line}\n`);
    this.console.line(this.jobName, line, stream === 'E', color);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.flushStreams();
    return new Promise((resolve) => this.log.end(() => resolve()));
  }
}

function tag(stream: 'stdout' | 'stderr'): 'O' | 'E' {
  return stream === 'stdout' ? 'O' : 'E';
}
