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
    const run = runKiln(['run', '--dir', dir, '--variable', `PIDS=${pids}`, '--variable', `MARKER=${marker}`, '-j', '2'], {
      onSpawn: (p) => (pid = p),
    });
    const deadline = Date.now() + 60_000;
    while (!(existsSync(join(pids, 'a-child')) && existsSync(join(pids, 'b')))) {
      if (Date.now() > deadline) throw new Error('jobs did not start');
      if (!existsSync(pids)) await import('node:fs/promises').then((f) => f.mkdir(pids, { recursive: true })).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
    }
    const jobPids = await Promise.all(['a', 'a-child', 'b'].map(async (n) => Number((await readFile(join(pids, n), 'utf8')).trim())));
    process.kill(pid, sig);
    const r = await run;
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stdout, /canceling the pipeline/);
    assert.match(r.stdout, /Pipeline canceled/);
    for (const p of jobPids) assert.equal(alive(p), false, `process ${p} is gone`);
    assert.equal(existsSync(marker), false, 'nothing new started');
  });
}
