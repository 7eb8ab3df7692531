// Reading job logs back: `kiln logs`.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { latestPipeline, pipelinesRoot } from '../run/pipelines-dir.js';
import { stripAnsi } from '../run/output/ansi.js';
import { wantColor } from '../run/output/console.js';
import { flattenJobs, type PipelineSummary } from '../run/summary.js';

const LINE = /^(\S+) ([OEK]) (.*)$/;

export async function logsCommand(
  job: string | undefined,
  flags: { dir: string; pipeline?: string; timestamps?: boolean },
): Promise<number> {
  const kilnDir = join(resolve(flags.dir), '.kiln');
  let id: number;
  if (flags.pipeline !== undefined) {
    id = Number(flags.pipeline);
    if (!Number.isInteger(id) || id < 1)
      throw new UsageError(`--pipeline must be a pipeline number, got "${flags.pipeline}"`);
  } else id = await latestPipeline(kilnDir);
  const dir = join(pipelinesRoot(kilnDir), String(id));
  let summary: PipelineSummary;
  try {
    summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as PipelineSummary;
  } catch {
    throw new UsageError(`pipeline ${id} has no summary (still running, or it did not finish)`);
  }
  // Child pipelines' jobs are listed and found as "trigger > job", as the run showed them.
  const jobs = flattenJobs(summary.jobs);
  if (!job) {
    for (const j of jobs) process.stdout.write(`${j.name}\t${j.status}\n`);
    return 0;
  }
  const entry = jobs.find((j) => j.name === job);
  if (!entry) throw new UsageError(`pipeline ${id} has no job "${job}" (jobs: ${jobs.map((j) => j.name).join(', ')})`);
  if (!entry.log) throw new UsageError(`job "${job}" did not run in pipeline ${id} (${entry.status})`);
  const text = await readFile(entry.log, 'utf8');
  const color = wantColor(process.stdout);
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    if (flags.timestamps) {
      out.push(color ? raw : stripAnsi(raw));
      continue;
    }
    const m = LINE.exec(raw);
    if (!m) continue; // section markers
    out.push(color ? m[3] : stripAnsi(m[3]));
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
