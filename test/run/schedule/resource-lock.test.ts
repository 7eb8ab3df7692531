// resource_group across processes: one holder at a time, process modes order the waiters (GitLab docs, "Resource
// group process modes"), and a holder that dies (kill -9) never leaves the group locked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireResource, type ProcessMode } from '../../../src/run/schedule/resource-lock.js';

const base = { scope: '/project', group: 'production', holder: 'test' };

async function order(mode: ProcessMode): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-rg-'));
  const first = await acquireResource({ ...base, dir, mode, pollMs: 20 });
  const got: string[] = [];
  const waiters = ['b', 'c', 'd'].map(async (name, i) => {
    await new Promise((r) => setTimeout(r, 5 + i * 30)); // b's ticket is the oldest, d's the newest
    const h = await acquireResource({ ...base, dir, mode, pollMs: 20, holder: name });
    got.push(name);
    await new Promise((r) => setTimeout(r, 30));
    await h.release();
  });
  // Every waiter has its ticket before the holder lets go (the machine may be slow: wait for the files).
  const { readdir } = await import('node:fs/promises');
  const ticketsDir = async () =>
    (await readdir(dir, { recursive: true })).filter((p) => String(p).includes('tickets/'));
  for (let i = 0; i < 500 && (await ticketsDir()).length < 4; i++) await new Promise((r) => setTimeout(r, 20));
  await first.release();
  await Promise.all(waiters);
  return got;
}

test('oldest_first and newest_first order the waiting jobs; one holder at a time', async () => {
  assert.deepEqual(await order('oldest_first'), ['b', 'c', 'd']);
  assert.deepEqual(await order('newest_first'), ['d', 'c', 'b']);
  assert.equal((await order('unordered')).length, 3);
});

test('groups are independent, and so are projects', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-rg-'));
  const a = await acquireResource({ ...base, dir, mode: 'unordered' });
  const other = await acquireResource({ ...base, dir, mode: 'unordered', group: 'staging' });
  const otherProject = await acquireResource({ ...base, dir, mode: 'unordered', scope: '/elsewhere' });
  await Promise.all([a.release(), other.release(), otherProject.release()]);
});

test('a holder killed with SIGKILL releases the group at once (kernel lock, no stale file to take over)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-rg-'));
  const script = `
    import { acquireResource } from ${JSON.stringify(new URL('../../../src/run/schedule/resource-lock.ts', import.meta.url).pathname)};
    await acquireResource({ dir: ${JSON.stringify(dir)}, scope: '/project', group: 'production', holder: 'child', mode: 'oldest_first' });
    console.log('held');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout.on('data', (d) => String(d).includes('held') && resolve()));
  let waitedFor: string | undefined;
  const pending = acquireResource({
    ...base,
    dir,
    mode: 'oldest_first',
    pollMs: 20,
    onWait: (by) => (waitedFor = by ?? 'unknown'),
  });
  for (let i = 0; i < 500 && waitedFor === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(waitedFor, 'child');
  child.kill('SIGKILL');
  const t0 = Date.now();
  const h = await pending;
  assert.ok(Date.now() - t0 < 5000);
  await h.release();
});

test('a waiter names the job ahead of it even before that job has written its holder note', async () => {
  // The job ahead has its ticket but has not taken the lock yet (the window in which a second `kiln run` once
  // printed "Waiting for resource: production" with no holder).
  const dir = await mkdtemp(join(tmpdir(), 'kiln-rg-'));
  const { createHash } = await import('node:crypto');
  const { mkdir, writeFile, rm } = await import('node:fs/promises');
  const key = createHash('sha256').update(`${base.scope}\0${base.group}`).digest('hex').slice(0, 32);
  const ahead = join(dir, key, 'tickets', `${'1'.padStart(15, '0')}-00000001-${process.pid}-00000000`);
  await mkdir(join(dir, key, 'tickets'), { recursive: true });
  await writeFile(ahead, 'pipeline 7, job deploy\n');
  let heldBy: string | undefined = 'not called';
  const waiting = acquireResource({
    ...base,
    dir,
    mode: 'oldest_first',
    pollMs: 20,
    holder: 'pipeline 8, job deploy',
    onWait: (by) => (heldBy = by),
  });
  for (let i = 0; i < 200 && heldBy === 'not called'; i++) await new Promise((r) => setTimeout(r, 10));
  await rm(ahead);
  await (await waiting).release();
  assert.equal(heldBy, 'pipeline 7, job deploy');
});
