// Builds the bash script for a job step the way GitLab Runner's bash shell composes it: `set -eo pipefail`,
// every command echoed as a green `$ cmd` line before it runs, stop at the first failing command.
// Shared by the shell and Docker executors.

const GREEN = '\x1b[32;1m';
const RESET = '\x1b[0;m';

/** Quotes a string as a bash ANSI-C literal ($'...'), safe for any byte content. */
export function bashQuote(value: string): string {
  let out = "$'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

/** The text echoed for a command: multi-line commands show their first line and a note, as GitLab does. */
export function echoText(command: string): string {
  const lines = command.replace(/\n+$/, '').split('\n');
  if (lines.length > 1) return `$ ${lines[0]} # collapsed multi-line command`;
  return `$ ${lines[0]}`;
}

export interface ScriptOptions {
  /** Directory the script starts in (CI_PROJECT_DIR as the job sees it). */
  cwd: string;
  /** Echo each command (true for both steps, as GitLab does). */
  echo?: boolean;
  /** Colour the echo lines (GitLab always does; the console strips colours when asked). */
  color?: boolean;
}

/**
 * One bash script for a step: before_script + script for 'main', after_script for 'after'.
 * Commands run directly in the script shell (not in subshells), so `export`, `cd` and functions carry over
 * between lines; stdin is detached so commands cannot swallow the script.
 */
export function buildStepScript(lines: string[], options: ScriptOptions): string {
  const echo = options.echo ?? true;
  const color = options.color ?? true;
  const parts: string[] = ['set -eo pipefail', 'set +o noclobber', `cd ${bashQuote(options.cwd)}`];
  for (const line of lines) {
    if (echo) {
      const text = color ? `${GREEN}${echoText(line)}${RESET}` : echoText(line);
      parts.push(`printf '%s\\n' ${bashQuote(text)}`);
    }
    parts.push(line);
  }
  parts.push('');
  return parts.join('\n');
}
