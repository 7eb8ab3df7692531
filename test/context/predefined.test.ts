// Predefined CI/CD variables from git and options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { buildPipelineContext, jobPredefined, ZERO_SHA } from '../../src/pipeline/context/predefined.js';
import { UsageError } from '../../src/errors.js';
import { git, initRepo, removeDir, tempDir } from './helpers/repo.js';

test('a directory that is not a git repository gets defaults', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const ctx = await buildPipelineContext({ projectDir: dir });
  const v = ctx.predefined;
  assert.equal(ctx.ref, 'main');
  assert.equal(ctx.isTag, false);
  assert.equal(ctx.source, 'push');
  assert.equal(v.CI, 'true');
  assert.equal(v.GITLAB_CI, 'true');
  assert.equal(v.CI_COMMIT_SHA, ZERO_SHA);
  assert.equal(v.CI_COMMIT_SHORT_SHA, '00000000');
  assert.equal(v.CI_COMMIT_BEFORE_SHA, ZERO_SHA);
  assert.equal(v.CI_COMMIT_BRANCH, 'main');
  assert.equal(v.CI_COMMIT_REF_NAME, 'main');
  assert.equal(v.CI_COMMIT_REF_SLUG, 'main');
  assert.equal(v.CI_COMMIT_TAG, undefined);
  assert.equal(v.CI_DEFAULT_BRANCH, 'main');
  assert.equal(v.CI_COMMIT_REF_PROTECTED, 'true');
  assert.equal(v.CI_PIPELINE_SOURCE, 'push');
  assert.equal(v.CI_PROJECT_PATH, `local/${basename(dir)}`);
  assert.equal(v.CI_PROJECT_NAME, basename(dir));
  assert.equal(v.CI_PROJECT_NAMESPACE, 'local');
  assert.equal(v.CI_PROJECT_DIR, dir);
  assert.equal(v.CI_SERVER_NAME, 'GitLab');
  assert.deepEqual(ctx.userVariables, {});
});

test('branch, commit, message, origin (scp form) and origin/HEAD come from git', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const sha = initRepo(dir, 'Feature/Login_Page');
  git(dir, 'remote', 'add', 'origin', 'git@gitlab.corp.example:platform/tools/kiln-demo.git');
  git(dir, 'update-ref', 'refs/remotes/origin/develop', sha);
  git(dir, 'symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/develop');
  const ctx = await buildPipelineContext({ projectDir: dir, pipelineId: 77 });
  const v = ctx.predefined;
  assert.equal(ctx.ref, 'Feature/Login_Page');
  assert.equal(v.CI_COMMIT_SHA, sha);
  assert.equal(v.CI_COMMIT_SHORT_SHA, sha.slice(0, 8));
  assert.equal(v.CI_COMMIT_BRANCH, 'Feature/Login_Page');
  assert.equal(v.CI_COMMIT_REF_SLUG, 'feature-login-page');
  assert.equal(v.CI_COMMIT_TITLE, 'Add parser');
  assert.equal(v.CI_COMMIT_MESSAGE, 'Add parser\n\nLonger description\nof the change.');
  assert.equal(v.CI_COMMIT_DESCRIPTION, 'Longer description\nof the change.');
  assert.equal(v.CI_COMMIT_AUTHOR, 'Ada Lovelace <ada@example.org>');
  assert.equal(v.CI_DEFAULT_BRANCH, 'develop');
  assert.equal(v.CI_COMMIT_REF_PROTECTED, 'false');
  assert.equal(v.CI_PROJECT_PATH, 'platform/tools/kiln-demo');
  assert.equal(v.CI_PROJECT_NAMESPACE, 'platform/tools');
  assert.equal(v.CI_PROJECT_ROOT_NAMESPACE, 'platform');
  assert.equal(v.CI_PROJECT_NAME, 'kiln-demo');
  assert.equal(v.CI_PROJECT_PATH_SLUG, 'platform-tools-kiln-demo');
  assert.equal(v.CI_PROJECT_URL, 'https://gitlab.corp.example/platform/tools/kiln-demo');
  assert.equal(v.CI_SERVER_HOST, 'gitlab.corp.example');
  assert.equal(v.CI_SERVER_URL, 'https://gitlab.corp.example');
  assert.equal(v.CI_SERVER_PORT, '443');
  assert.equal(v.CI_SERVER_PROTOCOL, 'https');
  assert.equal(v.CI_API_V4_URL, 'https://gitlab.corp.example/api/v4');
  assert.equal(v.CI_PIPELINE_ID, '77');
  assert.equal(v.CI_PIPELINE_IID, '77');
  assert.equal(v.CI_PIPELINE_URL, 'https://gitlab.corp.example/platform/tools/kiln-demo/-/pipelines/77');
  assert.equal(v.GITLAB_USER_EMAIL, 'ada@example.org');
  assert.equal(v.GITLAB_USER_NAME, 'Ada Lovelace');
  assert.equal(v.GITLAB_USER_LOGIN, 'ada');
});

test('a tag ref is a tag pipeline; options override git', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const first = initRepo(dir, 'main');
  git(dir, 'tag', 'v1.2.0');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'Later work');
  const ctx = await buildPipelineContext({
    projectDir: dir,
    ref: 'v1.2.0',
    projectUrl: 'https://gitlab.example.com/group/app',
  });
  const v = ctx.predefined;
  assert.equal(ctx.isTag, true);
  assert.equal(v.CI_COMMIT_TAG, 'v1.2.0');
  assert.equal(v.CI_COMMIT_BRANCH, undefined);
  assert.equal(v.CI_COMMIT_REF_NAME, 'v1.2.0');
  assert.equal(v.CI_COMMIT_REF_SLUG, 'v1-2-0');
  assert.equal(v.CI_COMMIT_SHA, first, 'the tag commit, not HEAD');
  assert.equal(v.CI_COMMIT_TITLE, 'Add parser');
  assert.equal(v.CI_COMMIT_REF_PROTECTED, 'false');
  assert.equal(v.CI_PROJECT_PATH, 'group/app');

  const forcedBranch = await buildPipelineContext({ projectDir: dir, ref: 'v1.2.0', tag: false });
  assert.equal(forcedBranch.isTag, false);
  assert.equal(forcedBranch.predefined.CI_COMMIT_BRANCH, 'v1.2.0');

  const unknownRef = await buildPipelineContext({ projectDir: dir, ref: 'release/9', tag: true });
  assert.equal(unknownRef.predefined.CI_COMMIT_TAG, 'release/9');
  assert.equal(unknownRef.predefined.CI_COMMIT_SHA, git(dir, 'rev-parse', 'HEAD'));
});

test('detached HEAD on a tag is a tag pipeline', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  initRepo(dir);
  git(dir, 'tag', 'v3.0');
  git(dir, 'checkout', '-q', '--detach', 'v3.0');
  const ctx = await buildPipelineContext({ projectDir: dir });
  assert.equal(ctx.ref, 'v3.0');
  assert.equal(ctx.isTag, true);
});

test('merge request pipelines have MR variables and no CI_COMMIT_BRANCH', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const ctx = await buildPipelineContext({
    projectDir: dir,
    ref: 'topic',
    source: 'merge_request_event',
    defaultBranch: 'trunk',
    projectUrl: 'http://git.lan:8080/a/b',
  });
  const v = ctx.predefined;
  assert.equal(v.CI_COMMIT_BRANCH, undefined);
  assert.equal(v.CI_COMMIT_REF_NAME, 'topic');
  assert.equal(v.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, 'topic');
  assert.equal(v.CI_MERGE_REQUEST_TARGET_BRANCH_NAME, 'trunk');
  assert.equal(v.CI_MERGE_REQUEST_IID, '1');
  assert.equal(v.CI_PIPELINE_SOURCE, 'merge_request_event');
  assert.equal(v.CI_SERVER_URL, 'http://git.lan:8080');
  assert.equal(v.CI_SERVER_PORT, '8080');
  assert.equal(v.CI_SERVER_FQDN, 'git.lan:8080');
});

test('user variables are carried; unknown sources are refused', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const ctx = await buildPipelineContext({
    projectDir: dir,
    source: 'schedule',
    userVariables: { NIGHTLY: { value: '1', expand: true } },
  });
  assert.equal(ctx.userVariables.NIGHTLY.value, '1');
  assert.equal(ctx.predefined.CI_PIPELINE_SOURCE, 'schedule');
  assert.equal(ctx.predefined.CI_COMMIT_BRANCH, 'main');
  await assert.rejects(buildPipelineContext({ projectDir: dir, source: 'pushh' }), UsageError);
  await assert.rejects(buildPipelineContext({ projectDir: dir, projectUrl: 'not a url' }), UsageError);
});

test('jobPredefined: job name, slug, stage, id, url, node index/total', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const ctx = await buildPipelineContext({ projectDir: dir, projectUrl: 'https://gitlab.example.com/g/p' });
  const plain = jobPredefined(ctx, { name: 'Build Linux', stage: 'build' }, 42);
  assert.deepEqual(plain, {
    CI_JOB_NAME: 'Build Linux',
    CI_JOB_NAME_SLUG: 'build-linux',
    CI_JOB_STAGE: 'build',
    CI_JOB_ID: '42',
    CI_JOB_URL: 'https://gitlab.example.com/g/p/-/jobs/42',
    CI_NODE_TOTAL: '1',
  });
  const par = jobPredefined(
    ctx,
    {
      name: 'build: [arm64, gcc]',
      stage: 'build',
      parallel: { index: 2, total: 4, matrix: { ARCH: 'arm64', CC: 'gcc' } },
    },
    7,
  );
  assert.equal(par.CI_NODE_INDEX, '2');
  assert.equal(par.CI_NODE_TOTAL, '4');
  assert.equal(par.CI_JOB_NAME_SLUG, 'build---arm64--gcc');
});

test('annotated tags resolve to their commit; a branch wins over a tag of the same name', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const first = initRepo(dir);
  git(dir, 'tag', '-a', 'v2.0.0', '-m', 'Release 2.0.0');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'Next');
  git(dir, 'branch', 'both');
  git(dir, 'tag', 'both', first);
  const tagCtx = await buildPipelineContext({ projectDir: dir, ref: 'v2.0.0' });
  assert.equal(tagCtx.isTag, true);
  assert.equal(tagCtx.predefined.CI_COMMIT_SHA, first);
  const both = await buildPipelineContext({ projectDir: dir, ref: 'both' });
  assert.equal(both.isTag, false);
  assert.equal(both.predefined.CI_COMMIT_SHA, git(dir, 'rev-parse', 'HEAD'));
  assert.equal(both.predefined.CI_COMMIT_TITLE, 'Next');
});

test('a repository without commits still yields a context', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  git(dir, 'init', '-q', '-b', 'trunk');
  const ctx = await buildPipelineContext({ projectDir: dir });
  assert.equal(ctx.predefined.CI_COMMIT_SHA, ZERO_SHA);
  assert.equal(ctx.ref, 'trunk');
  assert.equal(ctx.predefined.CI_COMMIT_BRANCH, 'trunk');
});
