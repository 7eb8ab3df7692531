// Several git commands through one child process: `/bin/sh` runs them one after the other, each followed by a
// marker that carries its exit status. Starting a process is the costly part of a quick git query for kiln (fork
// of a Node.js process, pipes, stream objects), and `kiln jobs` needs four or five of them for the predefined
// variables. The commands' arguments reach git as the shell's positional parameters, never through the shell's
// parser, so nothing in them is interpreted.
import { spawn } from 'node:child_process';

const MAX_OUTPUT = 64 * 1024 * 1024;

/**
 * Runs `git ...args` for each entry of `commands` in `cwd` with `env`; for each, its stdout, or undefined when it
 * exited non-zero (or git could not run at all), like separate `execFile('git', args)` calls would give.
 */
export function gitBatch(cwd: string, commands: string[][], env: NodeJS.ProcessEnv): Promise<(string | undefined)[]> {
  const none = commands.map(() => undefined);
  if (commands.length === 0) return Promise.resolve(none);
  // Unique per call: a command's output would have to contain it by chance to be cut in the wrong place.
  const nonce = `kiln${Math.random().toString(16).slice(2, 10)}${Date.now().toString(16)}`;
  const { script, args } = batchScript(commands, nonce);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('/bin/sh', ['-c', script, 'sh', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      resolve(none);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout!.on('data', (d: Buffer) => {
      size += d.length;
      if (size > MAX_OUTPUT) child.kill();
      else chunks.push(d);
    });
    child.on('error', () => resolve(none));
    child.on('close', () =>
      resolve(
        size > MAX_OUTPUT ? none : splitBatchOutput(Buffer.concat(chunks).toString('utf8'), commands.length, nonce),
      ),
    );
  });
}

/**
 * The shell script and its positional parameters. Command i's arguments are a slice of "$@": the script shifts
 * them off one command at a time, so the shell never parses the arguments themselves.
 */
export function batchScript(commands: string[][], nonce: string): { script: string; args: string[] } {
  const lines: string[] = [];
  const args: string[] = [];
  for (const cmd of commands) {
    const vars = cmd.map((_, i) => `"\${${i + 1}}"`);
    lines.push(`git ${vars.join(' ')}; s=$?; printf '\\0${nonce}:%d\\0' "$s"; shift ${cmd.length}`);
    args.push(...cmd);
  }
  return { script: lines.join('\n'), args };
}

/** Cuts the combined output at the markers; a command without its marker (the shell died) counts as failed. */
export function splitBatchOutput(out: string, count: number, nonce: string): (string | undefined)[] {
  const results: (string | undefined)[] = [];
  const marker = `\0${nonce}:`;
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const at = out.indexOf(marker, pos);
    const end = at < 0 ? -1 : out.indexOf('\0', at + marker.length);
    if (at < 0 || end < 0) {
      while (results.length < count) results.push(undefined);
      break;
    }
    const status = out.slice(at + marker.length, end);
    results.push(status === '0' ? out.slice(pos, at) : undefined);
    pos = end + 1;
  }
  return results;
}
