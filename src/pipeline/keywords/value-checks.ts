// Values GitLab refuses when it reads the configuration, for keywords whose shape alone does not say it (GitLab
// docs, CI/CD YAML reference):
// - `coverage`: "An RE2 regular expression. Must start and end with `/`." (checked with RE2, as GitLab compiles it);
// - `cache:key` and `cache:key:prefix`: the value "can't contain: The `/` character, or the equivalent URI-encoded
//   `%2F`. Only the `.` character (any number), or the equivalent URI-encoded `%2E`." Only the text as written is
//   checked: variables are expanded when the job is created.
import { compileRe2 } from '../expr/re2.js';
import { describe, type YNode } from '../yaml/node.js';
import type { Problems } from './check.js';

/** False (and an error at the value) when `pattern` is not a `/regex/flags` RE2 accepts. */
export function checkCoverage(p: Problems, node: YNode, path: string[], pattern: string): boolean {
  const m = /^\/(.*)\/([a-zA-Z]*)$/s.exec(pattern.trim());
  if (!m) {
    p.add(node, path, `should be a regular expression between slashes (/.../), got ${JSON.stringify(pattern)}`);
    return false;
  }
  try {
    compileRe2(m[1], m[2]);
  } catch (e) {
    p.add(node, path, `not a valid RE2 regular expression: ${(e as Error).message}`);
    return false;
  }
  return true;
}

/** False (and an error at the value) when GitLab refuses `key` as a cache key or key prefix. */
export function checkCacheKeyText(p: Problems, node: YNode, path: string[], key: string): boolean {
  if (/\/|%2f/i.test(key)) {
    p.add(node, path, 'cannot contain the "/" character (or %2F)');
    return false;
  }
  if (/^(?:\.|%2e)+$/i.test(key)) {
    p.add(node, path, 'cannot be made only of "." characters (or %2E)');
    return false;
  }
  return true;
}

const ONE_WEEK = 7 * 24 * 3600;

/** `start_in` (job or rule): GitLab docs, `start_in`: "Must be less than or equal to one week." */
export function checkStartIn(p: Problems, node: YNode | undefined, path: string[], seconds: number | undefined): void {
  if (seconds !== undefined && seconds > ONE_WEEK) p.add(node, path, 'should not exceed one week');
}

/**
 * `environment` / `environment:name` as written (before variables are expanded). GitLab docs, `environment:name`:
 * "letters, digits, spaces, and these characters: `-`, `_`, `/`, `$`, `{`, `}`"; GitLab's check also takes `.`.
 */
export function checkEnvironmentName(p: Problems, node: YNode, path: string[], name: string): void {
  if (/^[A-Za-z0-9 _/${}.-]+$/.test(name)) return;
  p.add(
    node,
    path,
    `can contain only letters, digits, spaces and '-', '_', '/', '$', '{', '}', '.', got ${JSON.stringify(name)}`,
  );
}

/** `release`: a hash with a `tag_name` (GitLab docs, `release:tag_name`: "Required."). */
export function checkRelease(p: Problems, node: YNode, path: string[]): void {
  if (node.kind !== 'map') {
    p.add(node, path, `should be a hash, got ${describe(node)}`);
    return;
  }
  const tag = node.entries.get('tag_name')?.value;
  if (!tag || (tag.kind === 'scalar' && (tag.value === null || tag.value === ''))) {
    p.add(node, path, 'tag_name is required');
  }
}
