// artifacts:untracked and cache:untracked collect what the job created (ignored files included), never the
// user's untracked source files that kiln copied into the workspace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';

const YAML = `
stages: [build, test]
make:
  stage: build
  script:
    - test -e notes.txt && test -e src/new.c && test ! -e local.log
    - git status --porcelain --untracked-files=all
    - git status --porcelain --untracked-files=all | grep -q '^?? notes.txt' && exit 10 || true
    - echo changed >> notes.txt
    - echo changed >> src/new.c
    - mkdir -p out build && echo bin > out/bin && echo obj > build/obj.o
    - test "$(git ls-files -o | sort | tr '\\n' ' ')" = "build/obj.o out/bin "
  artifacts:
    untracked: true
  cache:
    key: untracked-$CI_COMMIT_REF_SLUG
    untracked: true
check:
  stage: test
  needs: [make]
  script:
    - test "$(cat out/bin)" = bin && test "$(cat build/obj.o)" = obj
    - if grep -q changed notes.txt src/new.c; then echo "sources came back as job output"; exit 11; fi
`;

async function project(): Promise<string> {
  const dir = await makeProject({ '.gitlab-ci.yml': YAML, '.gitignore': '*.log\nbuild/\n', README: 'tracked' });
  await writeFile(join(dir, 'notes.txt'), 'untracked source\n');
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src/new.c'), 'int main(void) { return 0; }\n');
  await writeFile(join(dir, 'local.log'), 'ignored, never copied\n');
  return dir;
}

test('untracked sources are sources in the job: artifacts:untracked holds only job output (ignored files too)', async () => {
  const dir = await project();
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const s = parseSummary(r.stdout);
  assert.equal(job(s, 'make').status, 'success', await readLog(s, 'make'));
  assert.equal(job(s, 'check').status, 'success', await readLog(s, 'check'));
  assert.equal(job(s, 'make').artifacts?.files, 2, 'out/bin and the ignored build/obj.o');
  const log = await readLog(s, 'make');
  assert.match(log, /A notes\.txt/, 'git sees the untracked source as a new source file, not as untracked');
  assert.doesNotMatch(log, /^\S+ O \?\? (notes\.txt|src\/new\.c)/m);
});

test('cache:untracked holds only job output: a later run restores it without touching the sources', async () => {
  const dir = await project();
  const first = await runKiln(['run', '--dir', dir, '--json', 'make']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const YAML2 = `
restore:
  cache:
    key: untracked-$CI_COMMIT_REF_SLUG
    untracked: true
    policy: pull
  script:
    - test "$(cat out/bin)" = bin && test "$(cat build/obj.o)" = obj
    - if grep -q changed notes.txt src/new.c; then echo "sources came back from the cache"; exit 11; fi
`;
  await writeFile(join(dir, 'second.yml'), YAML2);
  const second = await runKiln(['run', '--dir', dir, '--json', '--file', 'second.yml']);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const s = parseSummary(second.stdout);
  assert.equal(job(s, 'restore').status, 'success', await readLog(s, 'restore'));
});

test('outside git, every file that was not a source counts as untracked', async () => {
  const dir = await makeProject(
    {
      '.gitlab-ci.yml': 'j:\n  script: [echo x > made.txt, echo y >> data.txt]\n  artifacts:\n    untracked: true\n',
      'data.txt': 'src\n',
    },
    { git: false },
  );
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(job(parseSummary(r.stdout), 'j').artifacts?.files, 1);
});
