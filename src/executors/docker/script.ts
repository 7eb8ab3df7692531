// Step scripts for containers. Images with bash get the shell executor's script (same composition, echo and
// exit semantics); images with only a POSIX sh (busybox, alpine) get the same steps with POSIX quoting and
// pipefail only where the shell has it. The container command picks one at run time.
import { buildStepScript, echoText } from '../shell/script.js';

export const STEPS_DIR = '/.kiln/steps';
/** Writable by the step: the command leaves `<kind>.ran` here before the script starts (see stepCommand). */
export const STATUS_DIR = '/.kiln/status';

const GREEN = '\x1b[32;1m';
const RESET = '\x1b[0;m';

export function posixQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function buildPosixStepScript(lines: string[], cwd: string): string {
  const parts = ['if set -o | grep -q pipefail; then set -o pipefail; fi', 'set -e', `cd ${posixQuote(cwd)}`];
  for (const line of lines) {
    parts.push(`printf '%s\\n' ${posixQuote(`${GREEN}${echoText(line)}${RESET}`)}`);
    parts.push(line);
  }
  parts.push('');
  return parts.join('\n');
}

export function stepScripts(lines: string[], cwd: string): { bash: string; sh: string } {
  return { bash: buildStepScript(lines, { cwd }), sh: buildPosixStepScript(lines, cwd) };
}

/**
 * Container command running a step with bash when the image has it, else sh (or the shell config forces one).
 * It first leaves a sentinel file: an entrypoint that exits without running the command (`/bin/true`) leaves
 * none, and the step is then a failure whatever the container's exit code (a script that did not run never
 * succeeds).
 */
export function stepCommand(kind: 'main' | 'after', shell: string): string[] {
  const bash = `${STEPS_DIR}/${kind}.bash`;
  const sh = `${STEPS_DIR}/${kind}.sh`;
  const ran = `: > ${sentinelPath(kind)}`;
  if (shell === 'sh') return ['sh', '-c', `${ran}; exec sh ${sh}`];
  return [
    'sh',
    '-c',
    `${ran}; if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc ${bash}; fi; exec sh ${sh}`,
  ];
}

export function sentinelPath(kind: 'main' | 'after'): string {
  return `${STATUS_DIR}/${kind}.ran`;
}
