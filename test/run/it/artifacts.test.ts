import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn, job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';

const YAML = `
stages: [build, test, deploy]
build:
  stage: build
  script:
    - mkdir -p out/obj
    - echo binary > out/app
    - echo object > out/obj/a.o
    - echo "VERSION=1.2.3" > build.env
    - echo "<testsuite><testcase name='a'/><testcase name='b'><failure/></testcase></testsuite>" > junit.xml
    - echo "job wrote this" > written-by-job.txt
  artifacts:
    paths: [out/, missing-dir/]
    exclude: ["out/**/*.o"]
    reports:
      dotenv: build.env
      junit: junit.xml
other:
  stage: build
  script: [echo other > other.txt]
  artifacts:
    paths: [other.txt]
consume:
  stage: test
  needs: [build]
  script:
    - test "$VERSION" = 1.2.3
    - test "$(cat out/app)" = binary
    - test ! -e out/obj/a.o
    - test ! -e other.txt
    - test ! -e written-by-job.txt
no-artifacts:
  stage: test
  needs:
    - job: build
      artifacts: false
  script:
    - test ! -e out/app
only-other:
  stage: deploy
  dependencies: [other]
  script:
    - test -e other.txt
    - test ! -e out/app
describe:
  stage: test
  needs: []
  script:
    - git describe --tags --always
    - test -e untracked-input.txt
    - test ! -e ignored.log
`;

test('artifacts and dotenv flow per needs/dependencies; missing path warns; junit counted; sources isolated', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': YAML, '.gitignore': 'ignored.log\n' });
  gitIn(dir, 'tag', 'v0.1.0');
  await writeFile(join(dir, 'untracked-input.txt'), 'not committed');
  await writeFile(join(dir, 'ignored.log'), 'ignored');
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = parseSummary(r.stdout);
  for (const j of s.jobs) assert.equal(j.status, 'success', `${j.name}: ${j.message}`);
  assert.deepEqual(job(s, 'build').artifacts!.dotenv, ['VERSION']);
  assert.deepEqual(job(s, 'build').junit, { tests: 2, failures: 1, errors: 0, skipped: 0 });
  assert.match(await readLog(s, 'build'), /WARNING: missing-dir\/: no matching files/);
  assert.match(await readLog(s, 'describe'), /v0\.1\.0/);
  // Nothing was written into the user's tree (only .kiln/).
  assert.equal(existsSync(join(dir, 'out')), false);
  assert.equal(existsSync(join(dir, 'written-by-job.txt')), false);
  assert.deepEqual((await readdir(dir)).sort(), [
    '.git',
    '.gitignore',
    '.gitlab-ci.yml',
    '.kiln',
    'ignored.log',
    'untracked-input.txt',
  ]);
  assert.match(await readFile(join(dir, '.git/info/exclude'), 'utf8'), /^\.kiln\/$/m);
  // kiln logs prints the job's log.
  const logs = await runKiln(['logs', '--dir', dir, 'consume']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /\$ test "\$VERSION" = 1\.2\.3/);
});

test('--source committed leaves out uncommitted files', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': 'check:\n  script:\n    - test ! -e new.txt\n    - test "$(cat tracked.txt)" = committed\n',
    'tracked.txt': 'committed',
  });
  await writeFile(join(dir, 'new.txt'), 'x');
  await writeFile(join(dir, 'tracked.txt'), 'edited');
  const r = await runKiln(['run', '--dir', dir, '--json', '--source', 'committed']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const w = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(w.code, 1, 'the worktree has new.txt and the edited file');
});

test('works outside git and in a subdirectory of a repository', async () => {
  const plain = await makeProject(
    { '.gitlab-ci.yml': 'j:\n  script: [test -e data.txt, echo "$CI_PROJECT_DIR"]\n', 'data.txt': 'x' },
    { git: false },
  );
  const r = await runKiln(['run', '--dir', plain, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const repo = await makeProject({
    'sub/.gitlab-ci.yml': 'j:\n  script: [test -e data.txt, git log --oneline -1]\n',
    'sub/data.txt': 'x',
    'top.txt': 'y',
  });
  const s = await runKiln(['run', '--dir', join(repo, 'sub'), '--json']);
  assert.equal(s.code, 0, s.stderr + s.stdout);
  assert.match(await readLog(parseSummary(s.stdout), 'j'), /initial/);
});

test('artifact paths escaping the project dir are refused with a clear error', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml':
      'leak:\n  script: [ln -s /etc etc-link]\n  artifacts:\n    paths: [etc-link]\nup:\n  script: [true]\n  artifacts:\n    paths: [../outside]\n',
  });
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 1);
  const s = parseSummary(r.stdout);
  assert.match(job(s, 'leak').message!, /symlink to \/etc, outside the project directory/);
  assert.match(job(s, 'up').message!, /"\.\.\/outside" points outside the project directory/);
});

test("a job run alone gets its dependencies' artifacts and dotenv from the latest earlier pipeline", async () => {
  const yaml = `
build:
  stage: build
  script: [echo "v-$RUN" > out.txt, echo "FROM_BUILD=$RUN" > b.env]
  artifacts:
    paths: [out.txt]
    reports: { dotenv: b.env }
use:
  stage: test
  script: [test "$(cat out.txt)" = "v-$EXPECT", test "$FROM_BUILD" = "$EXPECT"]
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  assert.equal(
    (await runKiln(['run', '--dir', dir, '--json', '--variable', 'RUN=1', '--variable', 'EXPECT=1'])).code,
    0,
  );
  assert.equal((await runKiln(['run', '--dir', dir, '--json', 'build', '--variable', 'RUN=2'])).code, 0);
  const r = await runKiln(['run', '--dir', dir, '--json', 'use', '--variable', 'EXPECT=2']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(await readLog(parseSummary(r.stdout), 'use'), /Downloaded artifacts of build \(pipeline 2\)/);
});

test('artifact paths, exclude and name expand variables, matrix values included', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `
build:
  stage: build
  parallel:
    matrix:
      - ARCH: [amd64, arm64]
  variables:
    OUT: out
  script:
    - mkdir -p $OUT/$ARCH && echo "bin for $ARCH" > $OUT/$ARCH/app && echo junk > $OUT/$ARCH/app.o
  artifacts:
    name: app-$ARCH
    paths: [$OUT/$ARCH/]
    exclude: ["$OUT/$ARCH/*.o"]
check:
  stage: test
  script:
    - test "$(cat out/amd64/app)" = "bin for amd64"
    - test "$(cat out/arm64/app)" = "bin for arm64"
    - test ! -e out/amd64/app.o
`,
  });
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = parseSummary(r.stdout);
  for (const j of s.jobs) assert.equal(j.status, 'success', `${j.name}: ${j.message}`);
  assert.equal(job(s, 'build: [amd64]').artifacts!.files, 1);
  assert.match(await readLog(s, 'build: [arm64]'), /as "app-arm64"/);
});
