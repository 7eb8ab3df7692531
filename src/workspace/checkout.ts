// A job's sources, laid out from the pipeline's snapshot the way GitLab Runner's get_sources stage would leave
// them for the job's git settings (git-settings.ts): no sources at all (GIT_STRATEGY none/empty), .git without
// files (GIT_CHECKOUT false), shallow history (GIT_DEPTH), and submodules (GIT_SUBMODULE_STRATEGY, _PATHS,
// _DEPTH). The copy is linear in the files it places, submodules included.
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyEntries, type TreeEntry } from './copy.js';
import { WorkspaceError } from './errors.js';
import { submoduleSelected, type GitSettings } from './git-settings.js';
import { shallowBoundary, writeShallow } from './shallow.js';
import type { Snapshot } from './snapshot.js';
import type { SubmoduleTree } from './submodules.js';

export interface PreparedSources {
  /** What was placed, relative to the workspace (so later steps can tell sources from job output). */
  entries: TreeEntry[];
  /** Lines for the job log, in GitLab Runner's words where it has some. */
  notes: string[];
}

export async function prepareSources(
  snapshot: Snapshot,
  dest: string,
  settings: GitSettings,
): Promise<PreparedSources> {
  await rm(dest, { recursive: true, force: true });
  const notes = [...settings.warnings.map((w) => `WARNING: ${w}`)];
  if (settings.strategy === 'none' || settings.strategy === 'empty') {
    await mkdir(dest, { recursive: true });
    notes.push(
      `Skipping Git repository setup (GIT_STRATEGY ${settings.strategy}): the job starts in an empty directory`,
    );
    return { entries: [], notes };
  }
  const hasGit = snapshot.entries.some((e) => e.rel === '.git');
  let entries = snapshot.entries;
  if (!settings.checkout) {
    entries = entries
      .filter((e) => e.rel === '.git' || e.rel.startsWith('.git/'))
      .filter((e) => e.rel !== '.git/index');
    notes.push('Skipping Git checkout (GIT_CHECKOUT false)');
  }
  // Submodules first, so the project's files and theirs are copied in one pass.
  const wantSubmodules = settings.submodules !== 'none' && settings.checkout;
  const all = wantSubmodules ? await snapshot.submodules() : [];
  const chosen = selectSubmodules(all, settings);
  const failed = chosen.filter((t) => t.error);
  if (failed.length) throw new WorkspaceError(failed.map((t) => t.error).join('; '));
  const placed = chosen.flatMap((t) => t.entries);
  await copyEntries(snapshot.dir, dest, placed.length ? [...entries, ...placed] : entries);
  if (settings.depth !== undefined && hasGit && snapshot.repo?.hasHead) {
    await writeShallow(join(dest, '.git'), await shallowBoundary(dest, 'HEAD', settings.depth));
    notes.push(`Fetched with git depth set to ${settings.depth} (GIT_DEPTH)`);
  }
  if (!wantSubmodules) return { entries, notes };
  notes.push(
    `Updating/initializing submodules${settings.submodules === 'recursive' ? ' recursively' : ''}${settings.submoduleDepth ? ` with git depth set to ${settings.submoduleDepth}` : ''}...`,
  );
  if (all.length === 0) notes.push('(the project has no submodules)');
  const configs = new Map<string, string>();
  for (const t of chosen) {
    if (t.note) notes.push(`WARNING: ${t.note}`);
    notes.push(`Submodule path '${t.path}': checked out '${t.commit}'`);
    if (settings.submoduleDepth !== undefined && t.commit) {
      await writeShallow(
        join(dest, t.path, '.git'),
        await shallowBoundary(join(dest, t.path), t.commit, settings.submoduleDepth),
      );
    }
    // As `git submodule init` records it in the repository that holds the submodule, so `git submodule status` in
    // the job sees it as initialized.
    if (t.level > 1 || hasGit) {
      configs.set(
        t.parent,
        `${configs.get(t.parent) ?? ''}[submodule ${JSON.stringify(t.name)}]\n\tactive = true\n\turl = ${t.url}\n`,
      );
    }
  }
  for (const [parent, text] of configs) await appendFile(join(dest, parent, '.git', 'config'), text);
  return { entries: [...entries, ...placed], notes };
}

/** normal: the project's own submodules; recursive: theirs too; GIT_SUBMODULE_PATHS picks among the top level. */
export function selectSubmodules(all: SubmoduleTree[], settings: GitSettings): SubmoduleTree[] {
  const tops = new Set(
    all.filter((t) => t.level === 1 && submoduleSelected(t.path, settings.submodulePaths)).map((t) => t.path),
  );
  return all.filter((t) => tops.has(t.top) && (settings.submodules === 'recursive' || t.level === 1));
}
