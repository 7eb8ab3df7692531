// Reclaiming what killed runs leave behind. A run removes its sources snapshot and job workspaces
// (`.kiln/pipelines/<id>/{snapshot,ws}`, tens of MB each) when its jobs are done; a kiln killed outright (kill -9,
// a power loss) cannot. So every run writes `owner.json` into its pipeline directory as soon as it has one: the kiln
// process (pid and /proc start time, so a reused pid is not taken for it), the host, and whether the user asked to
// keep workspaces. `kiln run` and `kiln store gc` remove the snapshot and workspaces of a pipeline only when its
// owner is provably dead: same host, and the pid gone or now another process. A live run, a run on another host
// (a shared file system), a finished run whose workspaces were kept on purpose (`--keep-workspaces`) and a
// directory without an owner record are never touched. Logs and summary stay (`kiln logs` still works).
import { existsSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { processAlive } from '../util/process-alive.js';
import { pipelinesRoot } from './pipelines-dir.js';
import { processStartTime, RUN_FILE } from './redundancy/run-record.js';

export const OWNER_FILE = 'owner.json';
/** What a dead run leaves that takes room: the sources snapshot and the job workspaces. */
const LEFTOVERS = ['snapshot', 'ws'];

interface OwnerRecord {
  pid: number;
  host: string;
  processStart?: string;
  keepWorkspaces: boolean;
}

/** Records this process as the owner of a pipeline directory (before anything big is written into it). */
export function writeOwner(pipelineDir: string, keepWorkspaces: boolean): Promise<void> {
  const rec: OwnerRecord = {
    pid: process.pid,
    host: hostname(),
    processStart: processStartTime(process.pid),
    keepWorkspaces,
  };
  return writeFileAtomic(join(pipelineDir, OWNER_FILE), `${JSON.stringify(rec)}\n`, 0o600);
}

function readJson(path: string): Partial<OwnerRecord> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<OwnerRecord>;
  } catch {
    return null;
  }
}

/** Whether the process that owned a pipeline directory is certainly gone. Unknown means alive. */
function ownerDead(dir: string): boolean {
  // The owner record, else (a run of an older kiln) its auto-cancel run record, which names the same process.
  const rec = readJson(join(dir, OWNER_FILE)) ?? readJson(join(dir, RUN_FILE));
  if (!rec || typeof rec.pid !== 'number' || typeof rec.host !== 'string') return false;
  if (rec.keepWorkspaces) return false;
  if (rec.host !== hostname()) return false;
  if (!Number.isInteger(rec.pid) || rec.pid <= 0) return false;
  if (!processAlive(rec.pid)) return true;
  // The pid is in use: by the same process unless its start time differs (pids are reused).
  return (
    rec.processStart !== undefined &&
    processStartTime(rec.pid) !== undefined &&
    processStartTime(rec.pid) !== rec.processStart
  );
}

export interface ReclaimResult {
  /** Pipelines whose snapshot and workspaces were (or, with dryRun, would be) removed. */
  pipelines: number[];
  /** Leftovers that could not be removed (e.g. files a container user made), with the reason. */
  failed: { path: string; error: string }[];
}

/** Removes the snapshot and workspaces of every pipeline under kilnDir whose kiln process is dead. */
export async function reclaimDeadRuns(kilnDir: string, o: { dryRun?: boolean } = {}): Promise<ReclaimResult> {
  const root = pipelinesRoot(kilnDir);
  const result: ReclaimResult = { pipelines: [], failed: [] };
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => /^\d+$/.test(n));
  } catch {
    return result;
  }
  for (const n of names.sort((a, b) => Number(a) - Number(b))) {
    const dir = join(root, n);
    const present = LEFTOVERS.filter((l) => existsSync(join(dir, l)));
    if (present.length === 0 || !ownerDead(dir)) continue;
    result.pipelines.push(Number(n));
    if (o.dryRun) continue;
    for (const l of present) {
      try {
        await rm(join(dir, l), { recursive: true, force: true });
      } catch (e) {
        result.failed.push({ path: join(dir, l), error: (e as Error).message });
      }
    }
  }
  return result;
}
