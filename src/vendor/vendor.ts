// `kiln vendor`: fetches every remote/project/template/component include the pipeline needs into the vendor folder
// (.kiln-vendor/, committed with the project) so that lint/jobs/run work offline.
// The loader itself says what is missing (LoadOptions.missing), following every include whatever its include:rules
// (a tag-only include is fetched on a branch too; variables in locations are expanded in the given context);
// fetched files can include more, so it runs again until nothing new is missing. The errors returned are lint's
// in the given context. Every copy is checked against include:integrity before it is written, and written
// temp → fsync → rename. A write never goes through a symlink inside the project (a hostile checkout could point
// .kiln-vendor/remote at another place).
import { lstat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { VendorError, type ConfigError } from '../errors.js';
import { lintPipeline, type LoadOptions } from '../pipeline/load.js';
import { integrityOf, type VendoredInclude } from '../pipeline/compose/vendored.js';
import { writeFileAtomic } from '../util/atomic.js';
import { fetchInclude, type SourceSettings } from './sources.js';

const MAX_ROUNDS = 20;

export interface VendorOptions extends LoadOptions {
  sources: Omit<SourceSettings, 'serverUrl'> & { serverUrl?: string };
  /** Called after each include is written or has failed. */
  progress?(event: VendorEvent): void;
}

export interface VendorEvent {
  kind: VendoredInclude['kind'];
  address: string;
  rel: string;
  ok: boolean;
  error?: string;
  bytes?: number;
}

export interface VendorResult {
  events: VendorEvent[];
  /** What lint reports once everything that could be fetched is there. */
  errors: ConfigError[];
}

export async function vendorPipeline(o: VendorOptions): Promise<VendorResult> {
  const projectDir = resolve(o.projectDir);
  const events: VendorEvent[] = [];
  const tried = new Set<string>();
  let errors: ConfigError[];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const missing: VendoredInclude[] = [];
    await lintPipeline({ ...o, projectDir, missing, allIncludes: true });
    const todo = dedupe(missing).filter((m) => !tried.has(m.rel));
    if (todo.length === 0) break;
    const serverUrl = o.sources.serverUrl ?? (await serverOf(o, projectDir));
    for (const inc of todo) {
      tried.add(inc.rel);
      const event = await vendorOne(projectDir, inc, { ...o.sources, serverUrl });
      events.push(event);
      o.progress?.(event);
    }
  }
  errors = await lintPipeline({ ...o, projectDir });
  return { events, errors };
}

function dedupe(list: VendoredInclude[]): VendoredInclude[] {
  const seen = new Map<string, VendoredInclude>();
  for (const m of list) if (!seen.has(m.rel)) seen.set(m.rel, m);
  return [...seen.values()];
}

/** The project's server as the loader sees it (kiln.toml gitlab.url, else the git remote's). */
async function serverOf(o: LoadOptions, projectDir: string): Promise<string> {
  const { buildPipelineContext } = await import('../pipeline/context/predefined.js');
  const ctx = await buildPipelineContext({
    projectDir,
    ref: o.ref,
    projectUrl: o.projectUrl,
    serverUrl: o.serverUrl,
    defaultBranch: o.defaultBranch,
  });
  return ctx.predefined.CI_SERVER_URL;
}

async function vendorOne(projectDir: string, inc: VendoredInclude, s: SourceSettings): Promise<VendorEvent> {
  const base = { kind: inc.kind, address: inc.address, rel: inc.rel };
  try {
    const got = await fetchInclude(inc, s);
    if (inc.integrity !== undefined) {
      const actual = integrityOf(got.data);
      if (actual !== inc.integrity) {
        throw new VendorError(
          `integrity check failed: the content is ${actual}, include:integrity is ${inc.integrity}`,
          'E_VENDOR_INTEGRITY',
        );
      }
    }
    const target = join(projectDir, inc.rel);
    await refuseSymlinks(projectDir, target);
    if (got.meta) {
      await writeFileAtomic(
        target.replace(/\.yml$/, '.meta.json'),
        `${JSON.stringify({ sha: got.meta.sha, version: got.meta.version, ref: got.meta.ref }, null, 2)}\n`,
      );
    }
    await writeFileAtomic(target, got.data);
    return { ...base, ok: true, bytes: got.data.length };
  } catch (err) {
    if (!(err instanceof VendorError)) throw err;
    return { ...base, ok: false, error: err.message };
  }
}

/** Refuses a target whose existing parent directories (inside the project) include a symlink. */
async function refuseSymlinks(projectDir: string, target: string): Promise<void> {
  const parts = relative(projectDir, target).split(sep).slice(0, -1);
  let dir = projectDir;
  for (const part of parts) {
    dir = join(dir, part);
    let st;
    try {
      st = await lstat(dir);
    } catch {
      return; // does not exist yet: created as a real directory
    }
    if (st.isSymbolicLink()) {
      throw new VendorError(
        `${relative(projectDir, dir)} is a symlink; kiln vendor writes only real directories`,
        'E_VENDOR_SYMLINK',
      );
    }
  }
  try {
    if ((await lstat(target)).isSymbolicLink()) {
      throw new VendorError(
        `${relative(projectDir, target)} is a symlink; kiln vendor replaces only regular files`,
        'E_VENDOR_SYMLINK',
      );
    }
  } catch (err) {
    if (err instanceof VendorError) throw err;
  }
}
