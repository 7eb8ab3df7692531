// The pieces of auto-cancel between kiln runs: the decision, run records (liveness), cancel requests, and the
// "a newer run recorded itself first" path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { decideOnNewCommit } from '../../../src/run/redundancy/auto-cancel.js';
import {
  CancelRequestWatcher,
  requestCancel,
  type CancelRequest,
} from '../../../src/run/redundancy/cancel-requests.js';
import {
  isLive,
  ownRecord,
  processStartTime,
  readRunRecords,
  writeRunRecord,
} from '../../../src/run/redundancy/run-record.js';
import { SchedulerControl, type JobState } from '../../../src/run/schedule/control.js';
import { watchRedundancy } from '../../../src/run/redundancy/watch.js';
import { Console } from '../../../src/run/output/console.js';
import { makeJob } from '../helpers/model.js';

const st = (name: string, state: JobState['state'], interruptible: boolean): JobState => ({
  job: makeJob(name, { interruptible }),
  state,
});

test('conservative: cancel all unless a job with interruptible: false has started (running, success, failed)', () => {
  const pendingOnly = [st('a', 'pending', false), st('b', 'pending', false)];
  assert.equal(decideOnNewCommit('conservative', pendingOnly).cancel, 'all', 'jobs not started count as interruptible');
  assert.equal(decideOnNewCommit('conservative', [st('a', 'running', true), st('b', 'pending', false)]).cancel, 'all');
  for (const s of ['running', 'success', 'failed'] as const) {
    const d = decideOnNewCommit('conservative', [st('deploy', s, false), st('b', 'pending', true)]);
    assert.deepEqual(d.cancel, [], s);
    assert.match(d.note, /job deploy \(interruptible: false\) has started/);
  }
  assert.equal(decideOnNewCommit('conservative', [st('x', 'skipped', false), st('b', 'pending', true)]).cancel, 'all');
  assert.deepEqual(decideOnNewCommit('conservative', [st('a', 'success', true)]).cancel, [], 'nothing left to cancel');
});

test('interruptible: only pending or running interruptible jobs; none: nothing', () => {
  const states = [
    st('a', 'running', true),
    st('b', 'running', false),
    st('c', 'pending', true),
    st('d', 'pending', false),
    st('e', 'success', true),
  ];
  assert.deepEqual(decideOnNewCommit('interruptible', states).cancel, ['a', 'c']);
  assert.deepEqual(decideOnNewCommit('none', states).cancel, []);
});

test('run records: a live process with the same start time is live; a dead pid or another start time is not', async () => {
  const me = ownRecord(1, 'main', 'conservative', true);
  assert.equal(isLive(me), true);
  assert.equal(
    isLive({ ...me, processStart: processStartTime(process.pid) === undefined ? undefined : 'not-the-same' }),
    processStartTime(process.pid) === undefined,
    'a reused pid (other start time) is not the recorded run',
  );
  const dead = Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
  );
  assert.equal(isLive({ ...me, pid: dead, processStart: undefined }), false);
  assert.equal(isLive({ ...me, host: `${hostname()}-elsewhere`, pid: dead }), true, 'another host cannot be checked');
  const kiln = await mkdtemp(join(tmpdir(), 'kiln-rec-'));
  await mkdir(join(kiln, 'pipelines', '3'), { recursive: true });
  await writeRunRecord(join(kiln, 'pipelines', '3'), ownRecord(3, 'main', 'none', true));
  await mkdir(join(kiln, 'pipelines', '4'), { recursive: true });
  await writeFile(join(kiln, 'pipelines', '4', 'run.json'), '{"pipelineId": 9, "ref": "main"}');
  assert.deepEqual(
    (await readRunRecords(kiln)).map((r) => [r.pipelineId, r.onNewCommit]),
    [[3, 'none']],
  );
});

test('cancel requests: each requester is handed over once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-req-'));
  const got: CancelRequest[] = [];
  let notify!: () => void;
  let arrived = new Promise<void>((r) => (notify = r));
  const w = new CancelRequestWatcher(
    dir,
    (req) => {
      got.push(req);
      notify();
    },
    { pollMs: 50 },
  );
  w.start();
  await requestCancel(dir, { by: 7, ref: 'main', pid: 1, at: 'now' });
  await arrived;
  arrived = new Promise<void>((r) => (notify = r));
  await requestCancel(dir, { by: 7, ref: 'main', pid: 1, at: 'again' });
  await requestCancel(dir, { by: 8, ref: 'main', pid: 1, at: 'now' });
  await arrived;
  await w.scan();
  w.stop();
  assert.deepEqual(
    got.map((r) => r.by),
    [7, 8],
  );
});

test('a newer run that recorded itself first makes this run cancel itself when its schedule starts', async () => {
  const kiln = await mkdtemp(join(tmpdir(), 'kiln-race-'));
  const older = join(kiln, 'pipelines', '1');
  const newer = join(kiln, 'pipelines', '2');
  await mkdir(older, { recursive: true });
  await mkdir(newer, { recursive: true });
  await writeRunRecord(newer, ownRecord(2, 'main', 'conservative', true));
  const control = new SchedulerControl();
  let canceled: string | undefined;
  let notify!: () => void;
  const done = new Promise<void>((r) => (notify = r));
  const quiet = new Console({ color: false, quiet: true });
  const r = await watchRedundancy({
    kilnDir: kiln,
    pipelineId: 1,
    pipelineDir: older,
    ref: 'main',
    onNewCommit: 'conservative',
    control,
    console: quiet,
    cancelOlder: true,
    pollMs: 50,
  });
  assert.deepEqual((await readdir(older)).sort(), ['cancel-request-2.json', 'run.json']);
  control.attach({
    states: () => [{ job: makeJob('a'), state: 'pending' }],
    cancel: () => assert.fail('the whole pipeline is canceled'),
    cancelAll: (reason) => {
      canceled = reason;
      notify();
    },
  });
  await done;
  assert.equal(canceled, 'auto-canceled by pipeline 2 (a newer pipeline for main)');
  assert.equal(r.canceledBy(), 2);
  r.stop();
  assert.deepEqual(await readdir(older), ['cancel-request-2.json'], 'stop() removes the run record');
});
