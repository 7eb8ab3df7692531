// What a kiln killed with SIGKILL leaves (sources snapshot, job workspaces) is reclaimed by the next `kiln run`
// and by `kiln store gc`, and a live run's is never touched (issue 15, item 7). Real processes, real kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeProject, parseSummary, runKiln, waitForFile, type KilnRun } from '../helpers/project.js';

const yaml = `
wait:
  script:
    - echo $$ > "$MARK/pid-$CI_PIPELINE_ID"
    - touch "$MARK/started-$CI_PIPELINE_ID"
    - while [ ! -f "$MARK/release" ]; do sleep 0.1; done
`;

/** Starts `kiln run` and returns once its job is running (pipeline id, kiln's pid, the job shell's pid). */
async function startBlockedRun(
  dir: string,
  mark: string,
  id: number,
): Promise<{ run: Promise<KilnRun>; kiln: number; jobShell: number }> {
  let kiln = 0;
  const run = runKiln(['run', '--dir', dir, '--variable', `MARK=${mark}`], { onSpawn: (p) => (kiln = p) });
  await Promise.race([
    waitForFile(join(mark, `started-${id}`)),
    run.then((r) => {
      throw new Error(`run ended early: ${r.stdout}${r.stderr}`);
    }),
  ]);
  return { run, kiln, jobShell: Number((await readFile(join(mark, `pid-${id}`), 'utf8')).trim()) };
}

async function killHard(r: { run: Promise<KilnRun>; kiln: number; jobShell: number }): Promise<void> {
  process.kill(r.kiln, 'SIGKILL');
  // The job's shell leads its own process group, which a killed kiln cannot end any more.
  try {
    process.kill(-r.jobShell, 'SIGKILL');
  } catch {
    process.kill(r.jobShell, 'SIGKILL');
  }
  const done = await r.run;
  assert.equal(done.signal, 'SIGKILL');
}

const leftovers = (dir: string, id: number) =>
  ['snapshot', 'ws'].filter((d) => existsSync(join(dir, '.kiln/pipelines', String(id), d)));

test('snapshot and workspaces of a kill -9ed run are reclaimed by kiln store gc and kiln run, never those of a live run', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  const mark = await mkdtemp(join(tmpdir(), 'kiln-killed-'));
  // Pipeline 1 stays live throughout, pipeline 2 is killed while pipeline 1 runs.
  const live = await startBlockedRun(dir, mark, 1);
  try {
    const killed = await startBlockedRun(dir, mark, 2);
    assert.deepEqual(leftovers(dir, 1), ['snapshot', 'ws'], 'starting a run does not touch a live one');
    await killHard(killed);
    assert.deepEqual(leftovers(dir, 2), ['snapshot', 'ws'], 'a killed run leaves its snapshot and workspaces');

    const dry = await runKiln(['store', 'gc', '--dir', dir, '--json', '--dry-run']);
    assert.deepEqual((JSON.parse(dry.stdout) as { killedRuns: number[] }).killedRuns, [2]);
    assert.deepEqual(leftovers(dir, 2), ['snapshot', 'ws'], 'a dry run removes nothing');
    const gc = await runKiln(['store', 'gc', '--dir', dir, '--json']);
    assert.equal(gc.code, 0, gc.stderr);
    assert.deepEqual((JSON.parse(gc.stdout) as { killedRuns: number[] }).killedRuns, [2]);
    assert.deepEqual(leftovers(dir, 2), []);
    assert.ok(existsSync(join(dir, '.kiln/pipelines/2/wait.log')), "the killed run's log stays");
    assert.deepEqual(leftovers(dir, 1), ['snapshot', 'ws'], 'the live run is untouched');
  } finally {
    // The live one is killed too; the next kiln run reclaims it, and itself ends normally.
    await killHard(live);
  }
  await writeFile(join(mark, 'release'), '');
  const next = await runKiln(['run', '--dir', dir, '--json', '--variable', `MARK=${mark}`]);
  assert.equal(next.code, 0, next.stdout + next.stderr);
  assert.match(next.stderr, /removed the sources snapshot and workspaces of killed runs \(pipeline 1\)/);
  assert.deepEqual(leftovers(dir, 1), []);
  assert.deepEqual(leftovers(dir, parseSummary(next.stdout).pipelineId), [], 'a finished run cleans up after itself');
});

test('workspaces kept on purpose (--keep-workspaces) are not reclaimed, even after kill -9', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  const mark = await mkdtemp(join(tmpdir(), 'kiln-killed-keep-'));
  let kiln = 0;
  const run = runKiln(['run', '--dir', dir, '--keep-workspaces', '--variable', `MARK=${mark}`], {
    onSpawn: (p) => (kiln = p),
  });
  await waitForFile(join(mark, 'started-1'));
  await killHard({ run, kiln, jobShell: Number((await readFile(join(mark, 'pid-1'), 'utf8')).trim()) });
  const gc = await runKiln(['store', 'gc', '--dir', dir, '--json']);
  assert.deepEqual((JSON.parse(gc.stdout) as { killedRuns: number[] }).killedRuns, []);
  assert.deepEqual(leftovers(dir, 1), ['snapshot', 'ws']);
});
