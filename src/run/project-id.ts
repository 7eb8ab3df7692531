// Who a project is, for the store: projects that share one store (`--store`, kiln.toml `runner.cache_dir`) keep
// their caches and artifacts apart by this id, as GitLab keeps them per project ("caches are not shared across
// projects"). The id is a random one kept in the project's own state directory, `.kiln/project.json`, with the
// real path it was made for:
// - two projects never share it, whatever their content: a fork or a copy of a template has the same root commit
//   and possibly the same remote, but not the same id; a different project cloned later where a deleted one was
//   gets a new `.kiln`, so a new id (a path alone would hand it the old project's caches);
// - a project that is moved keeps it (`.kiln` moves along; the path on record is updated);
// - a copy (`cp -a`, `.kiln` included) is told apart: the recorded path still exists and holds the same id, so
//   the copy makes itself a new one;
// - no git command is needed (the project may not be a repository, or have no commit yet).
// Crash safety: the file is created by link() from a complete temp file, so it appears whole or not at all, and
// of two runs creating it at once the first link wins and the other reads the winner's id.
import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../store/errors.js';

export const PROJECT_FILE = 'project.json';

interface ProjectRecord {
  id: string;
  /** Real path of the project directory the id was made for (or last seen at). */
  path: string;
}

function readRecord(file: string): ProjectRecord | null {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as ProjectRecord;
    return typeof r.id === 'string' && /^[0-9a-f]{32}$/.test(r.id) && typeof r.path === 'string' ? r : null;
  } catch {
    return null;
  }
}

function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes rec to a temp file and links it in place; false when another process linked one first. */
function create(file: string, rec: ProjectRecord): boolean {
  const tmp = tempName(file);
  writeFileSync(tmp, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Replaces the record in one rename (a reader sees the old one or the new one). */
function replace(file: string, rec: ProjectRecord): void {
  const tmp = tempName(file);
  writeFileSync(tmp, `${JSON.stringify(rec)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** The project's store id (made on first use); kilnDir is the project's `.kiln`. */
export function projectId(projectDir: string, kilnDir = join(projectDir, '.kiln')): string {
  try {
    mkdirSync(kilnDir, { recursive: true, mode: 0o700 });
    const file = join(kilnDir, PROJECT_FILE);
    const here = realpathSync(projectDir);
    for (let attempt = 0; attempt < 5; attempt++) {
      const rec = readRecord(file);
      if (!rec) {
        // None yet (or unreadable: a new id costs one cache miss, never a mix-up).
        const fresh = { id: randomBytes(16).toString('hex'), path: here };
        // Something unreadable is there (a damaged file, a dangling symlink): it goes. Read once more first, since
        // another run may have just linked a good one in.
        if (lexists(file) && readRecord(file) === null) rmSync(file, { force: true });
        if (create(file, fresh)) return fresh.id;
        continue;
      }
      if (rec.path === here) return rec.id;
      const there = readRecord(join(rec.path, '.kiln', PROJECT_FILE));
      if (there?.id === rec.id && realOrNull(rec.path) === rec.path) {
        // A copy of a project that still exists: it gets an id of its own. Moving the old record aside first
        // means only one of several runs starting in the copy at once makes the new id.
        const aside = tempName(file);
        try {
          renameSync(file, aside);
          // Another run may have made the copy's new id just before: that one is put back (unless yet another
          // run linked one in meanwhile), so all runs end up with one id.
          if (readRecord(aside)?.id !== rec.id) {
            try {
              linkSync(aside, file);
            } catch {
              /* there is one already */
            }
          }
          rmSync(aside, { force: true });
        } catch {
          /* another run moved it first */
        }
        continue;
      }
      // The project was moved: same project, same id; the record follows it.
      replace(file, { id: rec.id, path: here });
      return rec.id;
    }
    throw new Error('it keeps changing under concurrent runs');
  } catch (e) {
    throw new StoreError(
      `cannot read or make the project's store id in ${join(kilnDir, PROJECT_FILE)}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

function lexists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}
