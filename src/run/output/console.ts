// The live console: one line per output line, prefixed by the job name; colours only on a TTY without NO_COLOR.
import { stripAnsi } from './ansi.js';

const COLORS = [36, 35, 34, 33, 32, 96, 95, 94, 93, 92];
const NAMED: Record<string, string> = { green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m', cyan: '\x1b[36m' };

export interface ConsoleOptions {
  color: boolean;
  /** Write to this stream (default process.stdout). Quiet consoles (e.g. --json) print nothing. */
  out?: NodeJS.WritableStream;
  quiet?: boolean;
}

export function wantColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

export class Console {
  private readonly out: NodeJS.WritableStream;
  private readonly colorOf = new Map<string, number>();
  private width = 0;
  /** Jobs of a child pipeline are shown as "trigger > job" (see withPrefix). */
  private prefix = '';

  constructor(private readonly options: ConsoleOptions) {
    this.out = options.out ?? process.stdout;
    // A closed pipe (e.g. `kiln run | head`) must not crash the run: jobs go on, logs are still written.
    this.out.on('error', () => undefined);
  }

  get color(): boolean {
    return this.options.color;
  }

  /** The same output for a child pipeline's jobs, named "<prefix><job>". */
  withPrefix(prefix: string): Console {
    const c = new Console({ ...this.options, out: this.out });
    c.prefix = this.prefix + prefix;
    return c;
  }

  setNames(names: string[]): void {
    names = names.map((n) => this.prefix + n);
    this.width = Math.min(
      30,
      names.reduce((m, n) => Math.max(m, n.length), 0),
    );
    names.forEach((n, i) => this.colorOf.set(n, COLORS[i % COLORS.length]));
  }

  /** One output line of a job (stderr lines are shown like stdout lines, as in GitLab's job log). */
  line(job: string, text: string, _isErr = false, color?: string): void {
    if (this.options.quiet) return;
    job = this.prefix + job;
    const name = job.length > this.width ? job : job.padEnd(this.width);
    if (!this.options.color) {
      this.out.write(`${name} | ${stripAnsi(text)}\n`);
      return;
    }
    const c = this.colorOf.get(job) ?? 36;
    const body = color ? `${NAMED[color] ?? ''}${text}\x1b[0m` : text;
    this.out.write(`\x1b[${c}m${name}\x1b[0m \x1b[2m|\x1b[0m ${body}\x1b[0m\n`);
  }

  plain(text: string): void {
    if (this.options.quiet) return;
    this.out.write(this.options.color ? `${text}\n` : `${stripAnsi(text)}\n`);
  }
}
