// A job's sources follow its GIT_* variables as on GitLab (docs: "CI/CD variables that configure runner behavior":
// Git strategy, Git submodule strategy, GIT_SUBMODULE_PATHS, GIT_SUBMODULE_DEPTH, shallow cloning, GIT_CHECKOUT).
// Through the CLI, on real repositories with nested submodules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitIn, job, parseSummary, readLog, runKiln } from '../run/helpers/project.js';

async function repo(dir: string, files: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  gitIn(dir, 'init', '-q', '-b', 'main');
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

function addSubmodule(dir: string, url: string, path: string): void {
  gitIn(dir, '-c', 'protocol.file.allow=always', 'submodule', '-q', 'add', url, path);
  gitIn(dir, 'commit', '-q', '-m', `add ${path}`);
}

/** app -> vendor/lib (-> deps/inner) and app -> third/zlib; all checked out recursively unless `init` is false. */
async function world(yaml: string, o: { init?: boolean } = {}): Promise<{ root: string; app: string }> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-sub-'));
  await repo(join(root, 'inner'), { 'inner.txt': 'inner v1\n' });
  const lib = await repo(join(root, 'lib'), { 'lib.c': 'int lib(void) { return 1; }\n' });
  addSubmodule(lib, '../inner', 'deps/inner');
  await repo(join(root, 'zlib'), { 'zlib.h': '#define ZLIB 1\n' });
  const app = await repo(join(root, 'app'), { 'main.c': 'int main(void) { return 0; }\n' });
  addSubmodule(app, '../lib', 'vendor/lib');
  addSubmodule(app, '../zlib', 'third/zlib');
  await writeFile(join(app, '.gitlab-ci.yml'), yaml);
  gitIn(app, 'add', '.gitlab-ci.yml');
  gitIn(app, 'commit', '-q', '-m', 'ci');
  if (o.init === false) {
    // A clone made without --recurse-submodules: the submodules' directories are empty.
    const clone = join(root, 'clone');
    gitIn(root, 'clone', '-q', app, clone);
    return { root, app: clone };
  }
  gitIn(app, '-c', 'protocol.file.allow=always', 'submodule', '-q', 'update', '--init', '--recursive');
  return { root, app };
}

const LIST = `find . -path ./.git -prune -o -path '*/.git' -prune -o -type f -print | sort | tr '\\n' ' '`;

test('GIT_SUBMODULE_STRATEGY none / normal / recursive and GIT_SUBMODULE_PATHS give the files GitLab checks out', async () => {
  const { app } = await world(`
none:
  script:
    - test -d vendor/lib && test -d third/zlib
    - test "$(${LIST})" = "./.gitlab-ci.yml ./.gitmodules ./main.c "
normal:
  variables: { GIT_SUBMODULE_STRATEGY: normal }
  script:
    - test "$(${LIST})" = "./.gitlab-ci.yml ./.gitmodules ./main.c ./third/zlib/zlib.h ./vendor/lib/.gitmodules ./vendor/lib/lib.c "
    - test -d vendor/lib/deps/inner
    - git submodule status | grep -q '^ [0-9a-f]* vendor/lib'
    - git -C vendor/lib log --oneline -1
recursive:
  variables: { GIT_SUBMODULE_STRATEGY: recursive }
  script:
    - cat vendor/lib/deps/inner/inner.txt
    - git submodule status --recursive
    - test "$(git submodule status --recursive | grep -c '^ ')" = 3
    - mkdir out && echo built > out/app
  artifacts:
    untracked: true
only-lib:
  variables: { GIT_SUBMODULE_STRATEGY: recursive, GIT_SUBMODULE_PATHS: "vendor/lib" }
  script:
    - test -f vendor/lib/deps/inner/inner.txt && test ! -e third/zlib/zlib.h
not-lib:
  variables: { GIT_SUBMODULE_STRATEGY: normal, GIT_SUBMODULE_PATHS: ":(exclude)vendor/lib" }
  script:
    - test ! -e vendor/lib/lib.c && test -f third/zlib/zlib.h
`);
  const r = await runKiln(['run', '--json'], { cwd: app });
  const s = parseSummary(r.stdout);
  for (const name of ['none', 'normal', 'recursive', 'only-lib', 'not-lib']) {
    assert.equal(job(s, name).status, 'success', `${name}:\n${await readLog(s, name)}`);
  }
  assert.match(await readLog(s, 'recursive'), /inner v1/);
  // Submodule files are sources, not job output: artifacts:untracked holds only what the job made.
  assert.equal(job(s, 'recursive').artifacts?.files, 1, JSON.stringify(job(s, 'recursive').artifacts));
});

test('submodules never initialized here are cloned from their .gitmodules URL at the commit the project records', async () => {
  const { root, app } = await world(
    `
build:
  variables: { GIT_SUBMODULE_STRATEGY: recursive }
  script:
    - cat vendor/lib/lib.c vendor/lib/deps/inner/inner.txt third/zlib/zlib.h
`,
    { init: false },
  );
  // A newer commit upstream must not be what the job gets.
  await writeFile(join(root, 'lib', 'lib.c'), 'int lib(void) { return 2; }\n');
  gitIn(join(root, 'lib'), 'commit', '-qam', 'v2');
  const r = await runKiln(['run', '--json'], { cwd: app });
  const s = parseSummary(r.stdout);
  const log = await readLog(s, 'build');
  assert.equal(job(s, 'build').status, 'success', log);
  assert.match(log, /return 1;/);
  assert.doesNotMatch(log, /return 2;/);
  assert.match(log, /inner v1/);
});

test('a submodule that cannot be had fails only the jobs that ask for it, naming it', async () => {
  const { root, app } = await world(
    `
plain:
  script: [echo ok]
needs-subs:
  variables: { GIT_SUBMODULE_STRATEGY: normal }
  script: [echo "must not run"]
`,
    { init: false },
  );
  await import('node:fs/promises').then((fs) => fs.rm(join(root, 'zlib'), { recursive: true, force: true }));
  const r = await runKiln(['run', '--json'], { cwd: app });
  const s = parseSummary(r.stdout);
  assert.equal(job(s, 'plain').status, 'success');
  assert.equal(job(s, 'needs-subs').status, 'failed');
  const log = await readLog(s, 'needs-subs');
  assert.match(log, /submodule third\/zlib: not checked out here and cannot be cloned from .*zlib/);
  assert.doesNotMatch(log, /must not run/);
  assert.notEqual(r.code, 0);
});

test('--source committed takes submodules at the recorded commit; the worktree source takes the checkout and says so', async () => {
  const { app } = await world(`
show:
  variables: { GIT_SUBMODULE_STRATEGY: normal }
  script: [cat vendor/lib/lib.c]
`);
  // A local, uncommitted change inside the submodule, and a new commit checked out there.
  await writeFile(join(app, 'vendor/lib/lib.c'), 'int lib(void) { return 3; }\n');
  gitIn(join(app, 'vendor/lib'), 'commit', '-qam', 'local');
  const committed = parseSummary((await runKiln(['run', '--json', '--source', 'committed'], { cwd: app })).stdout);
  const cLog = await readLog(committed, 'show');
  assert.equal(job(committed, 'show').status, 'success', cLog);
  assert.match(cLog, /return 1;/);
  const worktree = parseSummary((await runKiln(['run', '--json'], { cwd: app })).stdout);
  const wLog = await readLog(worktree, 'show');
  assert.match(wLog, /return 3;/);
  assert.match(
    wLog,
    /WARNING: submodule vendor\/lib: the checkout on disk is at [0-9a-f]{8}, the project records [0-9a-f]{8}/,
  );
});

test('GIT_DEPTH and GIT_SUBMODULE_DEPTH cut history like a shallow clone; GIT_STRATEGY none and GIT_CHECKOUT false', async () => {
  const { app } = await world(`
shallow:
  variables: { GIT_DEPTH: "2", GIT_SUBMODULE_STRATEGY: normal, GIT_SUBMODULE_DEPTH: "1" }
  script:
    - test "$(git rev-list --count HEAD)" = 2
    - test "$(git -C vendor/lib rev-list --count HEAD)" = 1
    - test -f main.c
full:
  variables: { GIT_DEPTH: "0" }
  script:
    - test "$(git rev-list --count HEAD)" = 4
nothing:
  variables: { GIT_STRATEGY: none }
  script:
    - test -z "$(ls -A)"
no-checkout:
  variables: { GIT_CHECKOUT: "false" }
  script:
    - test -d .git && test ! -e main.c && test ! -e .gitlab-ci.yml
bad:
  variables: { GIT_STRATEGY: rsync }
  script: [echo "must not run"]
`);
  const r = await runKiln(['run', '--json'], { cwd: app });
  const s = parseSummary(r.stdout);
  for (const name of ['shallow', 'full', 'nothing', 'no-checkout']) {
    assert.equal(job(s, name).status, 'success', `${name}:\n${await readLog(s, name)}`);
  }
  assert.equal(job(s, 'bad').status, 'failed');
  assert.match(await readLog(s, 'bad'), /unknown GIT_STRATEGY "rsync"/);
});
