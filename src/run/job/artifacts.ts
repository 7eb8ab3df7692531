// Job artifacts: collected from the workspace after the scripts (paths/exclude/untracked, when), stored in the
// content-addressed store per pipeline and job, reports read (dotenv, junit), delivered to dependent jobs.
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { ArtifactsSpec } from '../../pipeline/model.js';
import type { Store } from '../../store/store.js';
import { restoreTree, saveTree } from '../../store/tree.js';
import { resolvePaths } from './paths.js';
import type { JobOutput } from '../output/job-output.js';
import { formatBytes } from '../output/format.js';
import { parseDotenvReport, readJunitFiles, type JunitCounts } from './reports.js';

export interface ArtifactsResult {
  stored: boolean;
  files: number;
  bytes: number;
  dotenv: Record<string, string>;
  junit?: JunitCounts;
  error?: string;
}

export function artifactsKey(pipelineId: number, jobName: string): string {
  return `pipeline/${pipelineId}/${jobName}`;
}

export function shouldUploadArtifacts(spec: ArtifactsSpec, jobSucceeded: boolean): boolean {
  if (spec.when === 'always') return true;
  return spec.when === 'on_success' ? jobSucceeded : !jobSucceeded;
}

/**
 * What of a job's artifacts is uploaded for its outcome: `paths`/`untracked` follow `artifacts:when`, reports are
 * uploaded whatever the job's status (GitLab sends each report to the runner with `when: always`, so a failing
 * test job still has its JUnit report). Undefined when nothing is to be uploaded.
 */
export function artifactsToUpload(
  spec: ArtifactsSpec,
  jobSucceeded: boolean,
): { spec: ArtifactsSpec; reportsOnly: boolean } | undefined {
  if (shouldUploadArtifacts(spec, jobSucceeded)) return { spec, reportsOnly: false };
  const reports = Object.values(spec.reports).some((paths) => paths.length > 0);
  if (!reports) return undefined;
  return { spec: { ...spec, paths: [], untracked: false }, reportsOnly: true };
}

export async function uploadArtifacts(
  spec: ArtifactsSpec,
  o: {
    store: Store;
    ws: string;
    out: JobOutput;
    key: string;
    untracked: () => Promise<string[]>;
    ci: Record<string, string>;
  },
): Promise<ArtifactsResult> {
  const result: ArtifactsResult = { stored: false, files: 0, bytes: 0, dotenv: {} };
  const reportPaths = Object.values(spec.reports).flat();
  const extra = spec.untracked ? await o.untracked() : [];
  const { paths, unmatched } = await resolvePaths(
    o.ws,
    [...spec.paths, ...reportPaths],
    spec.exclude,
    extra,
    'artifacts:paths',
  );
  for (const u of unmatched)
    o.out.info(
      `WARNING: ${u}: no matching files. Ensure that the artifact path is relative to the working directory`,
      'yellow',
    );
  if (paths.length === 0) {
    o.out.info('ERROR: No files to upload', 'yellow');
    return result;
  }
  const files = await saveTree(o.store, o.ws, paths);
  result.files = files.filter((f) => f.sha256).length;
  result.bytes = files.reduce((s, f) => s + (f.size ?? 0), 0);

  const dotenvPaths = spec.reports.dotenv ?? [];
  for (const p of dotenvPaths) {
    try {
      const parsed = parseDotenvReport(await readFile(join(o.ws, p), 'utf8'));
      Object.assign(result.dotenv, parsed.vars);
      for (const w of parsed.warnings) o.out.info(`WARNING: dotenv report ${p}: ${w}`, 'yellow');
    } catch (e) {
      o.out.info(`WARNING: dotenv report ${p}: ${(e as Error).message}`, 'yellow');
    }
  }
  const junitPatterns = spec.reports.junit ?? [];
  if (junitPatterns.length) {
    const junit = await resolvePaths(o.ws, junitPatterns, [], [], 'artifacts:reports:junit');
    try {
      result.junit = await readJunitFiles(junit.paths.map((p) => join(o.ws, p)));
    } catch (e) {
      o.out.info(`WARNING: junit report: ${(e as Error).message}`, 'yellow');
    }
  }
  const now = Date.now();
  const expireAt =
    spec.expireInSeconds === null ? null : new Date(now + (spec.expireInSeconds ?? 30 * 86400) * 1000).toISOString();
  await o.store.writeEntry({
    version: 2,
    kind: 'artifacts',
    key: o.key,
    createdAt: new Date(now).toISOString(),
    files,
    meta: { name: spec.name ?? 'artifacts', expireAt, dotenv: result.dotenv, junit: result.junit ?? null },
  });
  result.stored = true;
  o.out.info(`Uploaded ${result.files} files (${formatBytes(result.bytes)}) as "${spec.name ?? 'artifacts'}"`, 'green');
  return result;
}

export async function downloadArtifacts(o: {
  store: Store;
  ws: string;
  out: JobOutput;
  from: { job: string; key: string }[];
}): Promise<void> {
  for (const src of o.from) {
    const entry = await o.store.readEntry('artifacts', src.key);
    if (!entry) continue;
    const { count: n } = await restoreTree(o.store, entry.files, o.ws);
    o.out.info(`Downloaded artifacts of ${src.job} (${n} files)`, 'green');
  }
}
