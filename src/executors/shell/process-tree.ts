// Every process a job step starts, found and ended when the step ends: also those that left the step's process
// group and session (`setsid`, daemons). Where a writable cgroup v2 hierarchy exists (root, or a delegated
// subtree), each step runs in a cgroup of its own and `cgroup.kill` ends all of it at once; elsewhere the
// processes are found by a marker variable in their environment (/proc/<pid>/environ), which a process keeps
// across fork, setsid and exec unless it clears its environment on purpose.
//
// Crash safety: a step's cgroup is named after the kiln process (kiln-<pid>-<random>); one whose kiln is gone
// (kill -9) is emptied and removed by the next kiln that starts a step.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The variable that marks a step's processes (its value is unique per step). */
export const TREE_MARKER = 'KILN_STEP_TREE';

export interface ProcessTree {
  /** Command and arguments that start `command args` inside the tree. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Environment entries every process of the step must carry. */
  env: Record<string, string>;
  /** Ends every process of the step (SIGKILL) and waits until they are gone; removes the cgroup. */
  kill(): Promise<void>;
  readonly mode: 'cgroup' | 'environ';
}

/** The cgroup v2 directory this process lives in, when cgroup v2 is mounted and the directory is writable. */
function ownCgroupDir(): string | null {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!line) return null;
    const mount = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
    if (!mount) return null;
    // The mount's root (field 4) is the part of the path that is not visible under it (cgroup namespaces).
    const root = mount[3];
    let rel = line.slice(3);
    if (root !== '/' && rel.startsWith(root)) rel = rel.slice(root.length);
    const dir = join(mount[4], rel);
    return existsSync(join(dir, 'cgroup.procs')) ? dir : null;
  } catch {
    return null;
  }
}

let probed: string | null | undefined;

/** Where step cgroups go, or null: checked once by really moving a shell into a new cgroup. */
function cgroupBase(): string | null {
  if (probed !== undefined) return probed;
  probed = null;
  const base = ownCgroupDir();
  if (!base) return null;
  const dir = join(base, `kiln-${process.pid}-probe`);
  try {
    mkdirSync(dir);
  } catch {
    return null;
  }
  try {
    const r = spawnSync('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && cat /proc/self/cgroup', dir], {
      encoding: 'utf8',
      timeout: 5000,
    });
    if (r.status === 0 && r.stdout.includes(`/kiln-${process.pid}-probe`)) probed = base;
  } finally {
    removeCgroup(dir);
  }
  if (probed) reclaimOrphans(probed);
  return probed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Step cgroups of a kiln that died without cleaning up: their processes are killed, the cgroups removed. */
function reclaimOrphans(base: string): void {
  for (const name of readdirSync(base)) {
    const m = /^kiln-(\d+)-[0-9a-f]+$/.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    killCgroup(join(base, name));
    removeCgroup(join(base, name));
  }
}

function procsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killCgroup(dir: string): void {
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return;
  } catch {
    /* kernels before 5.14 have no cgroup.kill: freeze, kill one by one, thaw */
  }
  try {
    writeFileSync(join(dir, 'cgroup.freeze'), '1');
  } catch {
    /* not freezable: the loop below still catches forks on its next pass */
  }
  for (const pid of procsOf(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  try {
    writeFileSync(join(dir, 'cgroup.freeze'), '0');
  } catch {
    /* see above */
  }
}

function removeCgroup(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Processes whose environment carries marker=value. */
function markedProcesses(marker: string): number[] {
  const needle = Buffer.from(`\0${marker}\0`);
  const first = Buffer.from(`${marker}\0`);
  const found: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`);
      if (env.includes(needle) || env.subarray(0, first.length).equals(first)) found.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `cgroup: false` (or KILN_NO_CGROUP=1) always uses the environment sweep. */
export function createProcessTree(o: { cgroup?: boolean } = {}): ProcessTree {
  const id = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const marker = `${TREE_MARKER}=${id}`;
  const base = (o.cgroup ?? process.env.KILN_NO_CGROUP !== '1') ? cgroupBase() : null;
  let dir: string | null = null;
  if (base) {
    try {
      mkdirSync(join(base, `kiln-${id}`));
      dir = join(base, `kiln-${id}`);
    } catch {
      dir = null;
    }
  }
  return {
    mode: dir ? 'cgroup' : 'environ',
    env: { [TREE_MARKER]: id },
    wrap(command, args) {
      if (!dir) return { command, args };
      // The shell joins the cgroup before it becomes the step's command: nothing runs outside it.
      return { command: '/bin/sh', args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args] };
    },
    async kill() {
      if (dir) {
        for (let i = 0; i < 100; i++) {
          killCgroup(dir);
          if (procsOf(dir).length === 0 && removeCgroup(dir)) return;
          await sleep(20);
        }
        return;
      }
      // Until a pass finds none: a process forked by a marked one while a pass ran is caught by the next (its
      // parent was found, so there is a next pass).
      for (let i = 0; i < 50; i++) {
        const pids = markedProcesses(marker);
        if (!pids.length) return;
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        await sleep(10);
      }
    },
  };
}
