// Adds and removes `[[runners]]` entries in a kiln.toml by editing its text, so the user's comments, order and
// other settings stay as written. Crash-safety: the new text goes to a temp file (mode 0600: the file holds
// runner tokens) that is fsynced and renamed into place (util/atomic.ts); a reader sees the old or the new file.
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { readConfigText } from '../config/index.js';
import type { RunnerEntry } from '../config/runners.js';
import { RunnerError } from './errors.js';

export interface NewRunner {
  name: string;
  url: string;
  id?: number;
  token: string;
  tokenExpiresAt?: string;
  executor: 'shell' | 'docker';
  dockerImage?: string;
}

/** A TOML basic string. */
export function tomlString(s: string): string {
  return `"${s
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new RunnerError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The runners a file defines (checked like every kiln.toml). */
export function runnersIn(file: string): RunnerEntry[] {
  const text = readText(file);
  if (!text) return [];
  const layer = readConfigText(text, file);
  return (layer.get('runners')?.value as RunnerEntry[] | undefined) ?? [];
}

export async function addRunner(file: string, r: NewRunner): Promise<void> {
  const text = readText(file);
  const lines = [
    '[[runners]]',
    `  name = ${tomlString(r.name)}`,
    `  url = ${tomlString(r.url)}`,
    ...(r.id !== undefined ? [`  id = ${r.id}`] : []),
    `  token = ${tomlString(r.token)}`,
    ...(r.tokenExpiresAt ? [`  token_expires_at = ${tomlString(r.tokenExpiresAt)}`] : []),
    `  executor = ${tomlString(r.executor)}`,
    ...(r.executor === 'docker' && r.dockerImage
      ? ['  [runners.docker]', `    image = ${tomlString(r.dockerImage)}`]
      : []),
  ];
  const sep = text === '' ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  const next = `${text}${sep}${lines.join('\n')}\n`;
  readConfigText(next, file); // never write a file kiln itself would refuse
  await writeFileAtomic(file, next, 0o600);
}

/**
 * Removes the entry at `index`: from its `[[runners]]` header up to the next `[[runners]]` header or the next
 * table that is not a `runners.` sub-table.
 */
export async function removeRunner(file: string, index: number): Promise<void> {
  const text = readText(file);
  const lines = text.split('\n');
  let seen = -1;
  let start = -1;
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(t);
    if (!header) continue;
    const isEntry = /^\[\[\s*runners\s*\]\]/.test(t);
    if (start >= 0 && (isEntry || !/^runners\./.test(header[1]))) {
      end = i;
      break;
    }
    if (isEntry && ++seen === index) start = i;
  }
  if (start < 0) throw new RunnerError(`${file} has no [[runners]] entry number ${index + 1}`);
  // Keep comment lines directly above the next table with it.
  while (end > start + 1 && /^\s*#/.test(lines[end - 1])) end--;
  const next = [...lines.slice(0, start), ...lines.slice(end)].join('\n').replace(/\n{3,}/g, '\n\n');
  readConfigText(next, file);
  await writeFileAtomic(file, next, 0o600);
}

/** A warning when a file holding runner tokens can be read by other users (GitLab Runner writes 0600). */
export function permissionWarning(file: string, runners: RunnerEntry[]): string | undefined {
  if (!runners.some((r) => r.token)) return undefined;
  try {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077)
      return `warning: ${file} holds runner tokens and is readable by others (mode ${mode.toString(8)}): chmod 600 ${file}`;
  } catch {
    /* gone */
  }
  return undefined;
}
