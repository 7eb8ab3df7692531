// Artifacts of runner jobs through GitLab: dependencies' archives are downloaded with this job's token
// (GET /jobs/:dep/artifacts, JOB-TOKEN) and extracted into the workspace; after the script, each spec.Artifact
// whose `when` matches is packed — artifact_format zip (the archive, with its paths/exclude/untracked) or gzip
// (reports such as dotenv and junit: one gzip member per file) — and uploaded with its artifact_type,
// artifact_format and expire_in (GitLab Runner's commands/helpers/artifacts_uploader.go does the same per type).
import type { PayloadArtifact, PayloadDependency } from './api-types.js';
import type { CoordinatorClient } from './api.js';
import { expandString } from '../pipeline/variables/expand.js';
import { resolvePaths } from '../run/job/paths.js';
import { gzipPaths, unzipTo, zipPaths } from './archive.js';
import { RunnerError } from './errors.js';

/** spec.ArtifactWhen OnSuccess / OnFailure. */
export function artifactWanted(a: PayloadArtifact, success: boolean): boolean {
  const when = a.when || 'on_success';
  return when === 'always' || (when === 'on_success' ? success : !success);
}

export async function downloadDependencies(
  client: CoordinatorClient,
  jobToken: string,
  deps: PayloadDependency[],
  ws: string,
  out: (l: string) => void,
): Promise<void> {
  for (const d of deps) {
    if (!d.artifacts_file?.filename) continue;
    out(`Downloading artifacts for ${d.name} (${d.id})...`);
    const chunks: Buffer[] = [];
    await client.downloadArtifacts(d.id, jobToken, async (res) => {
      for await (const c of res) chunks.push(c as Buffer);
    });
    const n = await unzipTo(ws, Buffer.concat(chunks));
    out(`Downloading artifacts for ${d.name} (${d.id})... ok (${n} files)`);
  }
}

export async function uploadArtifacts(
  client: CoordinatorClient,
  jobId: number,
  jobToken: string,
  specs: PayloadArtifact[],
  ws: string,
  env: Record<string, string>,
  success: boolean,
  untracked: () => Promise<string[]>,
  out: (l: string) => void,
): Promise<void> {
  for (const a of specs) {
    if (!artifactWanted(a, success)) continue;
    const type = a.artifact_type || 'archive';
    const format = a.artifact_format || 'zip';
    const expand = (s: string) => expandString(s, (n) => env[n]);
    const resolved = await resolvePaths(
      ws,
      (a.paths ?? []).map(expand),
      (a.exclude ?? []).map(expand),
      a.untracked ? await untracked() : [],
      'artifact path',
    );
    for (const u of resolved.unmatched)
      out(`WARNING: ${u}: no matching files. Ensure that the artifact path is relative to the working directory`);
    if (!resolved.paths.length) {
      out(`WARNING: Uploading artifacts as "${type}" to coordinator... no files matched; nothing uploaded`);
      continue;
    }
    let data: Buffer;
    if (format === 'zip') data = await zipPaths(ws, resolved.paths);
    else if (format === 'gzip') data = await gzipPaths(ws, resolved.paths);
    else throw new RunnerError(`artifact format "${format}" (${type}) is not supported by kiln`);
    const base = expand(a.name || 'artifacts') || 'artifacts';
    const filename = format === 'zip' ? `${base}.zip` : format === 'gzip' ? `${type}.gz` : base;
    out(`Uploading artifacts as "${type}" to coordinator... (${resolved.paths.length} entries, ${data.length} bytes)`);
    await client.uploadArtifact(jobId, jobToken, { filename, data, type, format, expireIn: a.expire_in || undefined });
    out(`Uploading artifacts as "${type}" to coordinator... 201 Created`);
  }
}
