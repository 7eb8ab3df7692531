// The body of `kiln artifacts`: find the job in a finished pipeline's summary, export its artifacts.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { latestPipeline, pipelinesRoot } from '../run/pipelines-dir.js';
import type { PipelineSummary } from '../run/summary.js';
import { artifactsKey } from '../run/job/artifacts.js';
import { exportArtifacts, ExportError } from '../run/job/export.js';
import { storeDirFor } from './store-dir.js';

export interface ArtifactsFlags {
  dir: string;
  output?: string;
  pipeline?: string;
  store?: string;
  json?: boolean;
}

export async function artifactsCommand(job: string, flags: ArtifactsFlags): Promise<number> {
  const projectDir = resolve(flags.dir);
  const kilnDir = join(projectDir, '.kiln');
  let id: number;
  if (flags.pipeline !== undefined) {
    id = Number(flags.pipeline);
    if (!Number.isInteger(id) || id < 1)
      throw new UsageError(`--pipeline must be a pipeline number, got "${flags.pipeline}"`);
  } else id = await latestPipeline(kilnDir);
  let summary: PipelineSummary;
  try {
    summary = JSON.parse(
      await readFile(join(pipelinesRoot(kilnDir), String(id), 'summary.json'), 'utf8'),
    ) as PipelineSummary;
  } catch {
    throw new UsageError(`pipeline ${id} has no summary (still running, or it did not finish)`);
  }
  const entry = summary.jobs.find((j) => j.name === job);
  if (!entry)
    throw new UsageError(`pipeline ${id} has no job "${job}" (jobs: ${summary.jobs.map((j) => j.name).join(', ')})`);
  if (!entry.artifacts) throw new UsageError(`job "${job}" kept no artifacts in pipeline ${id} (${entry.status})`);
  const { loadConfig } = await import('../config/load.js');
  const { Store } = await import('../store/store.js');
  const { projectId } = await import('../run/project-id.js');
  // The project's own entries: a store may be shared by several projects (run/project-id.ts).
  const store = new Store(
    storeDirFor(projectDir, flags.store, loadConfig({ projectDir }).config.runner.cacheDir),
    projectId(projectDir, kilnDir),
  );
  const dest = resolve(flags.output ?? join('artifacts', job.replace(/[^A-Za-z0-9._-]+/g, '_')));
  try {
    const r = await exportArtifacts(store, artifactsKey(id, job), dest);
    if (flags.json) process.stdout.write(`${JSON.stringify({ pipelineId: id, job, files: r.files, dir: r.dir })}\n`);
    else process.stdout.write(`${r.files} files of ${job} (pipeline ${id}) in ${r.dir}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ExportError) throw new UsageError(e.message);
    throw e;
  }
}
