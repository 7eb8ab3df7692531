// The record of a pipeline that is running: `.kiln/pipelines/<id>/run.json` names the kiln process (pid, its start
// time, host), the ref and the pipeline's workflow:auto_cancel:on_new_commit. It exists from the moment the run
// can be canceled until its jobs are done; a kiln that was killed leaves it behind, so readers check that the
// process is still the same live one (pid alive and, on Linux, the same process start time: pids are reused).
import { readFileSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { OnNewCommit } from '../../pipeline/model.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { processAlive } from '../../util/process-alive.js';
import { pipelinesRoot } from '../pipelines-dir.js';

export const RUN_FILE = 'run.json';

export interface RunRecord {
  pipelineId: number;
  pid: number;
  host: string;
  /** /proc start time of the process (clock ticks since boot), where the platform has it. */
  processStart?: string;
  ref: string;
  onNewCommit: OnNewCommit;
  /** This run asks older runs of its ref to auto-cancel (false with --no-auto-cancel). */
  cancelsOlder: boolean;
  startedAt: string;
}

/** Start time of a process from /proc/<pid>/stat (field 22); undefined where /proc is missing or it is a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

export function ownRecord(pipelineId: number, ref: string, onNewCommit: OnNewCommit, cancelsOlder: boolean): RunRecord {
  return {
    pipelineId,
    pid: process.pid,
    host: hostname(),
    processStart: processStartTime(process.pid),
    ref,
    onNewCommit,
    cancelsOlder,
    startedAt: new Date().toISOString(),
  };
}

export function writeRunRecord(pipelineDir: string, rec: RunRecord): Promise<void> {
  return writeFileAtomic(join(pipelineDir, RUN_FILE), `${JSON.stringify(rec, null, 2)}\n`);
}

/** Synchronous, so it also works from an exit handler. */
export function removeRunRecord(pipelineDir: string): void {
  rmSync(join(pipelineDir, RUN_FILE), { force: true });
}

/** Whether the record's kiln process is still running. Records of other hosts cannot be checked: taken as live. */
export function isLive(rec: RunRecord): boolean {
  if (rec.host !== hostname()) return true;
  if (!Number.isInteger(rec.pid) || rec.pid <= 0 || !processAlive(rec.pid)) return false;
  if (rec.processStart === undefined) return true;
  return processStartTime(rec.pid) === rec.processStart;
}

/** Records of every pipeline under kilnDir that claims to be running (live or not), by pipeline id. */
export async function readRunRecords(kilnDir: string): Promise<RunRecord[]> {
  const root = pipelinesRoot(kilnDir);
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  await Promise.all(
    names.map(async (n) => {
      try {
        const rec = JSON.parse(await readFile(join(root, n, RUN_FILE), 'utf8')) as RunRecord;
        if (rec && rec.pipelineId === Number(n) && typeof rec.ref === 'string') out.push(rec);
      } catch {
        /* no record: finished, or never started */
      }
    }),
  );
  return out.sort((a, b) => a.pipelineId - b.pipelineId);
}
