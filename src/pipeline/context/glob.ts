// Glob matching for rules:exists / rules:changes / only:changes. GitLab uses Ruby's File.fnmatch with
// FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB: "*" stays inside one path segment, "**/" spans directories,
// dot files match, {a,b} alternatives work.
import picomatch from 'picomatch';

const cache = new Map<string, (path: string) => boolean>();

export function globMatcher(glob: string): (path: string) => boolean {
  let m = cache.get(glob);
  if (!m) {
    m = picomatch(glob.replace(/^\.\//, ''), { dot: true });
    if (cache.size > 2000) cache.clear();
    cache.set(glob, m);
  }
  return m;
}

/** True when any path in `files` matches any of `globs`. */
export function anyMatch(globs: string[], files: string[]): boolean {
  const ms = globs.map(globMatcher);
  return files.some((f) => ms.some((m) => m(f)));
}
