// Auto-cancel of redundant pipelines between two real `kiln run` processes in one project: a newer run for the
// same ref makes the older one cancel by its workflow:auto_cancel:on_new_commit and interruptible settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { job, makeProject, outputWatch, parseSummary, runKiln, waitForFile, type KilnRun } from '../helpers/project.js';

/** Every job exits at once in the newer run (QUICK=1); in the older one it waits for $MARK/release. */
const HEAD = `
default:
  before_script:
    - if [ "$QUICK" = 1 ]; then exit 0; fi
`;
const wait = (name: string) => `
    - touch "$MARK/${name}-started"
    - while [ ! -e "$MARK/release" ]; do sleep 0.05; done`;

interface Older {
  dir: string;
  mark: string;
  run: Promise<KilnRun>;
  out: ReturnType<typeof outputWatch>;
}

async function startOlder(yaml: string, started: string[]): Promise<Older> {
  const dir = await makeProject({ '.gitlab-ci.yml': HEAD + yaml });
  const mark = join(dir, '.kiln', 'mark');
  await mkdir(mark, { recursive: true });
  const out = outputWatch();
  const run = runKiln(['run', '--dir', dir, '--json', '--variable', `MARK=${mark}`, '-j', '4'], {
    onOutput: out.onOutput,
  });
  for (const s of started)
    await Promise.race([
      waitForFile(join(mark, `${s}-started`)),
      run.then((r) => {
        throw new Error(`older run ended early (code ${r.code}):\n${r.stdout}${r.stderr}`);
      }),
    ]);
  return { dir, mark, run, out };
}

function newer(dir: string, ...extra: string[]): Promise<KilnRun> {
  return runKiln(['run', '--dir', dir, '--json', '--variable', 'QUICK=1', '--variable', 'MARK=/nonexistent', ...extra]);
}

test('conservative (default): every started job interruptible → the older pipeline is canceled, after_script runs', async () => {
  const old = await startOlder(
    `
stages: [one, two]
long:
  stage: one
  interruptible: true
  script:${wait('long')}
  after_script:
    - if [ "$QUICK" != 1 ]; then echo "$CI_JOB_STATUS" > "$MARK/long-after"; fi
next:
  stage: two
  script: [echo next]
`,
    ['long'],
  );
  const b = await newer(old.dir);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const bs = parseSummary(b.stdout);
  assert.match(b.stderr, new RegExp(`pipeline 1 is still running for main: asked it to auto-cancel`));
  const a = await old.run;
  assert.equal(a.code, 130, a.stdout + a.stderr);
  const s = parseSummary(a.stdout);
  assert.equal(s.status, 'canceled');
  assert.equal(s.canceledBy, bs.pipelineId);
  assert.equal(job(s, 'long').status, 'canceled');
  assert.equal(job(s, 'long').message, `auto-canceled by pipeline ${bs.pipelineId} (a newer pipeline for main)`);
  assert.equal(job(s, 'next').status, 'canceled', 'a pending job is canceled too');
  assert.equal(job(s, 'next').attempts, 0);
  assert.equal(
    (await readFile(join(old.mark, 'long-after'), 'utf8')).trim(),
    'canceled',
    'after_script ran with CI_JOB_STATUS=canceled',
  );
  assert.equal(existsSync(join(old.dir, '.kiln/pipelines/1/run.json')), false, 'the run record is gone');
});

test('conservative: a started job with interruptible: false keeps the older pipeline running', async () => {
  const old = await startOlder(
    `
deploy:
  script:${wait('deploy')}
`,
    ['deploy'],
  );
  const b = await newer(old.dir);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  await old.out.waitFor(
    /nothing canceled here: on_new_commit: conservative, and job deploy \(interruptible: false\) has started/,
    old.run,
  );
  await writeFile(join(old.mark, 'release'), '');
  const a = await old.run;
  assert.equal(a.code, 0, a.stdout + a.stderr);
  const s = parseSummary(a.stdout);
  assert.equal(job(s, 'deploy').status, 'success');
  assert.equal(s.canceledBy, undefined);
});

test('on_new_commit: interruptible cancels only interruptible jobs; the others run on', async () => {
  const old = await startOlder(
    `
workflow:
  auto_cancel:
    on_new_commit: interruptible
stages: [one, two]
int:
  stage: one
  interruptible: true
  script:${wait('int')}
keep:
  stage: one
  script:${wait('keep')}
after-int:
  stage: two
  needs: [int]
  script: [echo after-int]
pending-int:
  stage: two
  needs: [keep]
  interruptible: true
  script: [echo pending-int]
after-keep:
  stage: two
  needs: [keep]
  script: [echo after-keep]
`,
    ['int', 'keep'],
  );
  const b = await newer(old.dir);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  await old.out.waitFor(/auto-canceling \(on_new_commit: interruptible, canceling 2 interruptible jobs\)/, old.run);
  await writeFile(join(old.mark, 'release'), '');
  const a = await old.run;
  assert.equal(a.code, 130, a.stdout + a.stderr);
  const s = parseSummary(a.stdout);
  const st = Object.fromEntries(s.jobs.map((j) => [j.name, j.status]));
  assert.deepEqual(st, {
    int: 'canceled',
    keep: 'success',
    'after-int': 'skipped',
    'pending-int': 'canceled',
    'after-keep': 'success',
  });
  assert.equal(job(s, 'after-int').message, 'an earlier job was canceled');
  assert.equal(s.status, 'canceled');
  assert.equal(s.canceledBy, parseSummary(b.stdout).pipelineId);
});

test('on_new_commit: none cancels nothing', async () => {
  const old = await startOlder(
    `
workflow:
  auto_cancel:
    on_new_commit: none
build:
  interruptible: true
  script:${wait('build')}
`,
    ['build'],
  );
  const b = await newer(old.dir);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  await old.out.waitFor(/nothing canceled here: workflow:auto_cancel:on_new_commit is none/, old.run);
  await writeFile(join(old.mark, 'release'), '');
  const a = await old.run;
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(job(parseSummary(a.stdout), 'build').status, 'success');
});

test('another ref, --no-auto-cancel and records of dead runs cancel nothing', async () => {
  // A record left by a killed kiln (its pid no longer runs) in pipeline 1: ignored.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dir = await makeProject({
    '.gitlab-ci.yml': HEAD + `build:\n  interruptible: true\n  script:${wait('build')}\n`,
  });
  await mkdir(join(dir, '.kiln/pipelines/1'), { recursive: true });
  await writeFile(
    join(dir, '.kiln/pipelines/1/run.json'),
    JSON.stringify({
      pipelineId: 1,
      pid: Number(dead.stdout),
      host: hostname(),
      ref: 'main',
      onNewCommit: 'conservative',
      cancelsOlder: true,
      startedAt: new Date().toISOString(),
    }),
  );
  const mark = join(dir, '.kiln', 'mark');
  await mkdir(mark, { recursive: true });
  const out = outputWatch();
  const run = runKiln(['run', '--dir', dir, '--json', '--variable', `MARK=${mark}`], { onOutput: out.onOutput });
  await waitForFile(join(mark, 'build-started'));
  const other = await newer(dir, '--ref', 'other');
  assert.equal(other.code, 0, other.stdout + other.stderr);
  assert.doesNotMatch(other.stderr, /asked it to auto-cancel/);
  const opted = await newer(dir, '--no-auto-cancel');
  assert.equal(opted.code, 0, opted.stdout + opted.stderr);
  assert.doesNotMatch(opted.stderr, /asked it to auto-cancel/);
  await writeFile(join(mark, 'release'), '');
  const a = await run;
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(parseSummary(a.stdout).pipelineId, 2);
  assert.doesNotMatch(a.stderr, /pipeline 1 is still running/, 'the dead run is not asked');
  assert.deepEqual(readdirSync(join(dir, '.kiln/pipelines/1')), ['run.json'], 'no request written for the dead run');
  assert.deepEqual(
    readdirSync(join(dir, '.kiln/pipelines/2')).filter((n) => n.startsWith('cancel-request')),
    [],
  );
});

test('on_job_failure: all — a failed job cancels the rest; the pipeline fails', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `
workflow:
  auto_cancel:
    on_job_failure: all
long:
  script:
    - touch "$MARK/long-started"
    - while [ ! -e "$MARK/release" ]; do sleep 0.05; done
  after_script:
    - echo "$CI_JOB_STATUS" > "$MARK/long-after"
bad:
  script:
    - while [ ! -e "$MARK/long-started" ]; do sleep 0.05; done
    - exit 3
optional:
  allow_failure: true
  script: [exit 4]
`,
  });
  const mark = join(dir, '.kiln', 'mark');
  await mkdir(mark, { recursive: true });
  const r = await runKiln(['run', '--dir', dir, '--json', '--variable', `MARK=${mark}`, '-j', '3']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const s = parseSummary(r.stdout);
  assert.equal(s.status, 'failed');
  assert.equal(job(s, 'bad').status, 'failed');
  assert.equal(job(s, 'long').status, 'canceled');
  assert.equal(job(s, 'long').message, 'auto-canceled: job bad failed (workflow:auto_cancel:on_job_failure: all)');
  assert.equal((await readFile(join(mark, 'long-after'), 'utf8')).trim(), 'canceled');
});
