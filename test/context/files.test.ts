// FileContext: exists globs (GitLab fnmatch semantics), changes for push / MR / compare_to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFileContext } from '../../src/pipeline/context/files.js';
import { buildPipelineContext } from '../../src/pipeline/context/predefined.js';
import { git, initRepo, removeDir, tempDir, writeFiles } from './helpers/repo.js';

const tree = {
  Dockerfile: 'FROM x\n',
  'go.mod': 'module x\n',
  'cmd/app/main.go': 'package main\n',
  'docs/index.md': '# docs\n',
  '.config/settings.yml': 'a: 1\n',
  'src/lib/deep/file.c': 'int x;\n',
};

const existsCases: [string, boolean][] = [
  ['Dockerfile', true],
  ['./Dockerfile', true],
  ['Makefile', false],
  ['*.mod', true],
  ['*.go', false], // "*" does not cross "/"
  ['**/*.go', true],
  ['cmd/**/*.go', true],
  ['**/main.go', true],
  ['.config/*.yml', true], // dot directories match
  ['**/settings.yml', true],
  ['src/**/*.{c,h}', true],
  ['src/*.c', false],
  ['docs/', false],
  ['**/*.rs', false],
];

test('exists: globs on a plain directory (no git)', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  writeFiles(dir, tree);
  const ctx = await buildPipelineContext({ projectDir: dir });
  const files = await buildFileContext(dir, ctx);
  assert.equal(files.changedFiles, 'all');
  for (const [glob, expected] of existsCases) assert.equal(files.exists(glob), expected, glob);
});

test('exists: globs in a git repository (tracked and untracked, not ignored)', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  initRepo(dir, 'main', { ...tree, '.gitignore': 'build/\n' });
  writeFiles(dir, { 'new/untracked.txt': 'x', 'build/out.bin': 'x' });
  const ctx = await buildPipelineContext({ projectDir: dir });
  const files = await buildFileContext(dir, ctx);
  for (const [glob, expected] of existsCases) assert.equal(files.exists(glob), expected, glob);
  assert.equal(files.exists('new/*.txt'), true);
  assert.equal(files.exists('build/*.bin'), false);
});

test('changes: push pipelines have no before-SHA so changes are "all"; tags/schedules too', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  initRepo(dir, 'main', tree);
  for (const o of [{}, { source: 'schedule' }, { source: 'web' }]) {
    const ctx = await buildPipelineContext({ projectDir: dir, ...o });
    assert.equal((await buildFileContext(dir, ctx)).changedFiles, 'all');
  }
  git(dir, 'tag', 'v1');
  const tagCtx = await buildPipelineContext({ projectDir: dir, ref: 'v1' });
  const tagFiles = await buildFileContext(dir, tagCtx);
  assert.equal(tagFiles.changedSince?.('main'), 'all');
});

test('changes: merge request pipelines diff against the target branch; compare_to diffs against its ref', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  initRepo(dir, 'main', tree);
  git(dir, 'checkout', '-q', '-b', 'topic');
  writeFiles(dir, { 'docs/guide.md': 'new\n', 'cmd/app/main.go': 'package main // changed\n' });
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'topic work');
  const mr = await buildPipelineContext({
    projectDir: dir,
    ref: 'topic',
    source: 'merge_request_event',
    defaultBranch: 'main',
  });
  const mrFiles = await buildFileContext(dir, mr);
  assert.deepEqual(mrFiles.changedFiles, ['cmd/app/main.go', 'docs/guide.md']);

  const push = await buildPipelineContext({ projectDir: dir, ref: 'topic' });
  const pushFiles = await buildFileContext(dir, push);
  assert.equal(pushFiles.changedFiles, 'all');
  assert.deepEqual(pushFiles.changedSince?.('main'), ['cmd/app/main.go', 'docs/guide.md']);
  assert.deepEqual(pushFiles.changedSince?.('topic'), []);
  assert.throws(() => pushFiles.changedSince?.('no-such-ref'), /compare_to: "no-such-ref" is not a valid ref/);
});

test('changes: an MR whose target branch only exists as origin/<branch> diffs against it; unknown target → all', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const base = initRepo(dir, 'work', tree);
  git(dir, 'update-ref', 'refs/remotes/origin/release', base);
  writeFiles(dir, { Dockerfile: 'FROM y\n' });
  git(dir, 'commit', '-q', '-am', 'change image');
  const mr = await buildPipelineContext({
    projectDir: dir,
    ref: 'work',
    source: 'merge_request_event',
    defaultBranch: 'release',
  });
  assert.deepEqual((await buildFileContext(dir, mr)).changedFiles, ['Dockerfile']);
  const unknown = await buildPipelineContext({
    projectDir: dir,
    ref: 'work',
    source: 'merge_request_event',
    defaultBranch: 'nope',
  });
  assert.equal((await buildFileContext(dir, unknown)).changedFiles, 'all');
});
