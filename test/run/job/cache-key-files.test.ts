// cache:key:files (content of files or globs) and cache:key:files_commits (last commit of each path), as GitLab
// computes them (CI/CD YAML reference; gitlab-org/gitlab work item 595745).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cacheKey } from '../../../src/run/job/cache.js';
import type { CacheSpec } from '../../../src/pipeline/model.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-keyfiles-'));
after(() => rmSync(root, { recursive: true, force: true }));

const spec = (key: CacheSpec['key']): CacheSpec => ({
  key,
  paths: ['x/'],
  untracked: false,
  policy: 'pull-push',
  when: 'on_success',
  fallbackKeys: [],
  unprotect: false,
});

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

test('cache:key:files with a glob hashes every matching file, top level included; no match gives default', async () => {
  const ws = join(root, 'glob');
  write(ws, { 'package-lock.json': '{"a":1}', 'web/package-lock.json': '{"b":1}', README: 'x' });
  const s = spec({ files: ['**/package-lock.json'], prefix: 'npm' });
  const k1 = await cacheKey(s, ws, {});
  assert.match(k1, /^npm-[0-9a-f]{40}$/);
  write(ws, { 'web/package-lock.json': '{"b":2}' });
  const k2 = await cacheKey(s, ws, {});
  assert.notEqual(k2, k1, 'a nested match changes the key');
  write(ws, { 'package-lock.json': '{"a":2}' });
  assert.notEqual(await cacheKey(s, ws, {}), k2, 'the top-level file matches **/ too');
  write(ws, { README: 'changed' });
  const k3 = await cacheKey(s, ws, {});
  assert.equal(await cacheKey(s, ws, {}), k3);
  assert.equal(await cacheKey(spec({ files: ['**/*.lock'] }), ws, {}), 'default');
});

test('cache:key:files_commits follows the last commit of each path, not the content of the checkout', async () => {
  const ws = join(root, 'commits');
  write(ws, { 'Gemfile.lock': 'v1', other: 'o' });
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      ['-C', ws, '-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'commit.gpgsign=false', ...args],
      { encoding: 'utf8' },
    );
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'one');
  const s = spec({ files: ['Gemfile.lock'], commits: true });
  const k1 = await cacheKey(s, ws, {});
  assert.match(k1, /^[0-9a-f]{40}$/);
  write(ws, { 'Gemfile.lock': 'edited, not committed' });
  assert.equal(await cacheKey(s, ws, {}), k1, 'an uncommitted edit does not change the key');
  git('checkout', '-q', 'Gemfile.lock');
  write(ws, { other: 'o2' });
  git('commit', '-qam', 'two');
  assert.equal(await cacheKey(s, ws, {}), k1, 'a commit that does not touch the file keeps the key');
  git('commit', '-q', '--allow-empty', '-m', 'three');
  write(ws, { 'Gemfile.lock': 'v2' });
  git('commit', '-qam', 'four');
  assert.notEqual(await cacheKey(s, ws, {}), k1, 'a commit that changes the file changes the key');
  assert.equal(await cacheKey(spec({ files: ['never-committed'], commits: true }), ws, {}), 'default');
});
