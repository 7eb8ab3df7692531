import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProject, runKiln } from '../helpers/project.js';

const YAML = `
stages: [one, two]
a:
  stage: one
  script:
    - echo $$ > pids/a
    - (trap "" TERM; sleep 60) & echo $! > pids/a-child
    - sleep 60
b:
  stage: one
  script:
    - echo $$ > pids/b
    - sleep 60
later:
  stage: two
  script: [touch "$MARKER"]
`;

/** A process that exists and is not a zombie (zombies wait for a reaper that may be missing in containers). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`${sig} cancels the pipeline, runs nothing new, leaves no process, exits 130`, async () => {
    const dir = await makeProject({ '.gitlab-ci.yml': YAML.replace(/pids\//g, `${'$'}PIDS/`) });
    const pids = join(dir, '.kiln', 'test-pids');
    const marker = join(dir, '.kiln', 'later-ran');
    let pid = 0;
    const run = runKiln(
      ['run', '--dir', dir, '--variable', `PIDS=${pids}`, '--variable', `MARKER=${marker}`, '-j', '2'],
      {
        onSpawn: (p) => (pid = p),
      },
    );
    const deadline = Date.now() + 60_000;
    while (!(existsSync(join(pids, 'a-child')) && existsSync(join(pids, 'b')))) {
      if (Date.now() > deadline) throw new Error('jobs did not start');
      if (!existsSync(pids))
        await import('node:fs/promises').then((f) => f.mkdir(pids, { recursive: true })).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
    const jobPids = await Promise.all(
      ['a', 'a-child', 'b'].map(async (n) => Number((await readFile(join(pids, n), 'utf8')).trim())),
    );
    process.kill(pid, sig);
    const r = await run;
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stdout, /canceling the pipeline/);
    assert.match(r.stdout, /Pipeline canceled/);
    for (const p of jobPids) assert.equal(alive(p), false, `process ${p} is gone`);
    assert.equal(existsSync(marker), false, 'nothing new started');
  });
}

const AFTER_YAML = `
job:
  script:
    - echo $$ > "$PIDS/main"
    - sleep 60
  after_script:
    - echo "$CI_JOB_STATUS" > "$PIDS/status"
    - echo $$ > "$PIDS/after"
    - (trap "" TERM INT; sleep 300) & echo $! > "$PIDS/after-child"
    - if [ "$SLOW_AFTER" = 1 ]; then sleep 300; fi
`;

async function waitFile(path: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('Ctrl-C: after_script of a canceled job runs (CI_JOB_STATUS=canceled) and leaves no process', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': AFTER_YAML });
  const pids = join(dir, '.kiln', 'test-pids');
  await import('node:fs/promises').then((f) => f.mkdir(pids, { recursive: true }));
  let pid = 0;
  const run = runKiln(['run', '--dir', dir, '--variable', `PIDS=${pids}`], { onSpawn: (p) => (pid = p) });
  await waitFile(join(pids, 'main'));
  process.kill(pid, 'SIGINT');
  const r = await run;
  assert.equal(r.code, 130, r.stdout + r.stderr);
  assert.equal((await readFile(join(pids, 'status'), 'utf8')).trim(), 'canceled');
  assert.match(r.stdout, /Job canceled: running after_script/);
  for (const n of ['main', 'after', 'after-child']) {
    const p = Number((await readFile(join(pids, n), 'utf8')).trim());
    assert.equal(alive(p), false, `${n} process ${p} is gone`);
  }
});

test('a second Ctrl-C stops a long after_script too and leaves no process', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': AFTER_YAML });
  const pids = join(dir, '.kiln', 'test-pids');
  await import('node:fs/promises').then((f) => f.mkdir(pids, { recursive: true }));
  let pid = 0;
  const run = runKiln(['run', '--dir', dir, '--variable', `PIDS=${pids}`, '--variable', 'SLOW_AFTER=1'], {
    onSpawn: (p) => (pid = p),
  });
  await waitFile(join(pids, 'main'));
  process.kill(pid, 'SIGINT');
  await waitFile(join(pids, 'after-child'));
  process.kill(pid, 'SIGINT');
  const r = await run;
  assert.equal(r.code, 130, r.stdout + r.stderr);
  assert.match(r.stdout, /SIGINT again: stopping after_script/);
  assert.match(r.stdout, /WARNING: after_script stopped/);
  for (const n of ['main', 'after', 'after-child']) {
    const p = Number((await readFile(join(pids, n), 'utf8')).trim());
    assert.equal(alive(p), false, `${n} process ${p} is gone`);
  }
});
