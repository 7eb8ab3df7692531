// `kiln runner register | verify | unregister | list`: the runner's life cycle in GitLab and in kiln.toml.
// Registration as GitLab Runner's `register` (commands/register.go): a runner authentication token (glrt-...,
// made in GitLab's UI) is checked with POST /runners/verify and stored as it is; a legacy registration token is
// exchanged for a runner token with POST /runners. The token is written to kiln.toml (mode 0600), never printed.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { redactToken, type RunnerEntry } from '../config/runners.js';
import { CoordinatorClient, defaultRunnerName, newSystemId } from './api.js';
import { addRunner, removeRunner, runnersIn } from './config-file.js';
import { RunnerError, RunnerForbiddenError } from './errors.js';

/** GitLab Runner's prefix for runner authentication tokens (network/gitlab.go TokenIsCreatedRunnerToken). */
export const CREATED_RUNNER_TOKEN_PREFIX = 'glrt-';

/** Where the system id is kept: `stateDir` when given, else next to the config file (GitLab Runner's place). */
export function systemIdFile(configFile: string, stateDir?: string): string {
  return join(stateDir ?? dirname(configFile), '.runner_system_id');
}

/**
 * The machine's system id, kept in `.runner_system_id` like GitLab Runner's. When the file cannot be written (a
 * config directory mounted read-only, say) the new id is used for this run with a warning, as GitLab Runner does
 * ("Couldn't save new system ID on state file"): GitLab then sees a new runner manager after each restart, which
 * the warning says, but jobs still run. `kiln runner run --state-dir DIR` keeps the id somewhere writable.
 */
export async function systemIdFor(
  configFile: string,
  o: { stateDir?: string; warn?: (line: string) => void } = {},
): Promise<string> {
  const file = systemIdFile(configFile, o.stateDir);
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[rs]_[0-9a-zA-Z]{12}$/.test(id)) return id;
  } catch {
    /* made below */
  }
  const id = newSystemId();
  try {
    if (o.stateDir) mkdirSync(o.stateDir, { recursive: true });
    await writeFileAtomic(file, `${id}\n`, 0o600);
  } catch (e) {
    if (!o.warn) throw new RunnerError(`cannot save the system id in ${file}: ${(e as Error).message}`);
    o.warn(
      `warning: cannot save the system id in ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
        `using ${id} for this run only, so GitLab lists a new machine after each restart; ` +
        'give --state-dir a writable directory',
    );
  }
  return id;
}

export interface RegisterOptions {
  configFile: string;
  url: string;
  token: string;
  name?: string;
  executor: 'shell' | 'docker';
  dockerImage?: string;
  tagList?: string;
  runUntagged?: boolean;
  locked?: boolean;
}

export interface RunnerSummary {
  index: number;
  name: string;
  url?: string;
  id?: number;
  executor: string;
  token?: string;
}

export function summary(r: RunnerEntry): RunnerSummary {
  return { index: r.index, name: r.name, url: r.url, id: r.id, executor: r.executor, token: redactToken(r.token) };
}

export async function register(o: RegisterOptions): Promise<RunnerSummary> {
  if (o.executor === 'docker' && !o.dockerImage)
    throw new RunnerError('--docker-image is needed with --executor docker (the default image of jobs without image:)');
  const client = new CoordinatorClient(o.url);
  try {
    const systemId = await systemIdFor(o.configFile);
    let token = o.token;
    let id: number | undefined;
    let expires: string | undefined;
    if (o.token.startsWith(CREATED_RUNNER_TOKEN_PREFIX)) {
      // Tags, locked and run-untagged belong to the runner made in GitLab's UI: GitLab Runner refuses them here too.
      if (o.tagList || o.locked !== undefined || o.runUntagged !== undefined) {
        throw new RunnerError(
          '--tag-list, --locked and --run-untagged are set in GitLab when the runner is created; they cannot be given with a glrt- token',
        );
      }
      const answer = await client.verify(o.token, o.executor, systemId);
      id = answer.id;
      expires = answer.token_expires_at;
    } else {
      const answer = await client.register(o.token, {
        description: o.name ?? defaultRunnerName(),
        tagList: o.tagList,
        runUntagged: o.runUntagged,
        locked: o.locked,
        executor: o.executor,
      });
      if (!answer.token) throw new RunnerError('GitLab registered the runner but sent no token back');
      token = answer.token;
      id = answer.id;
      expires = answer.token_expires_at;
    }
    if (expires && expires.startsWith('0001-')) expires = undefined;
    await addRunner(o.configFile, {
      name: o.name ?? defaultRunnerName(),
      url: o.url,
      id,
      token,
      tokenExpiresAt: expires,
      executor: o.executor,
      dockerImage: o.dockerImage,
    });
    const entries = runnersIn(o.configFile);
    return summary(entries[entries.length - 1]);
  } finally {
    client.close();
  }
}

/** Picks runners by --name (all when none given). */
export function selectRunners(configFile: string, name?: string): RunnerEntry[] {
  const all = runnersIn(configFile);
  if (!all.length) throw new RunnerError(`${configFile} has no [[runners]]: run \`kiln runner register\` first`);
  if (name === undefined) return all;
  const picked = all.filter((r) => r.name === name);
  if (!picked.length)
    throw new RunnerError(`${configFile} has no runner named "${name}" (it has: ${all.map((r) => r.name).join(', ')})`);
  return picked;
}

export interface VerifyResult extends RunnerSummary {
  valid: boolean;
  detail?: string;
}

export async function verify(configFile: string, name?: string, deleteInvalid = false): Promise<VerifyResult[]> {
  const systemId = await systemIdFor(configFile);
  const results: VerifyResult[] = [];
  for (const r of selectRunners(configFile, name)) {
    if (!r.url || !r.token) {
      results.push({ ...summary(r), valid: false, detail: 'no url or token' });
      continue;
    }
    const client = new CoordinatorClient(r.url, {
      caFile: r.tlsCaFile,
      certFile: r.tlsCertFile,
      keyFile: r.tlsKeyFile,
    });
    try {
      await client.verify(r.token, r.executor, systemId);
      results.push({ ...summary(r), valid: true });
    } catch (e) {
      if (!(e instanceof RunnerForbiddenError)) throw e;
      results.push({ ...summary(r), valid: false, detail: e.message });
    } finally {
      client.close();
    }
  }
  if (deleteInvalid) {
    // Highest index first, so the indexes of the remaining entries stay right.
    for (const r of [...results].reverse()) if (!r.valid) await removeRunner(configFile, r.index);
  }
  return results;
}

/** Unregisters in GitLab, then removes the entry from kiln.toml. */
export async function unregister(configFile: string, name: string | undefined, all: boolean): Promise<RunnerSummary[]> {
  if (!all && name === undefined) throw new RunnerError('give --name NAME or --all');
  const picked = selectRunners(configFile, all ? undefined : name);
  const systemId = await systemIdFor(configFile);
  const done: RunnerSummary[] = [];
  for (const r of [...picked].reverse()) {
    if (r.url && r.token) {
      const client = new CoordinatorClient(r.url, {
        caFile: r.tlsCaFile,
        certFile: r.tlsCertFile,
        keyFile: r.tlsKeyFile,
      });
      try {
        await client.unregister(r.token, systemId);
      } finally {
        client.close();
      }
    }
    await removeRunner(configFile, r.index);
    done.push(summary(r));
  }
  return done.reverse();
}
