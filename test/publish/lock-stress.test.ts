// The publish lock under contention from real processes: several publishers released at the same moment onto a
// stale lock (a dead owner's) must still take turns. Before the takeover was serialised, two takers that read
// the same stale lock could each remove it, the second removing the first one's fresh lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, tmp } from './helpers.js';

test('stress: six processes racing over a stale lock never hold it together and lose no update', async () => {
  const dir = await tmp('lock-stress');
  const repo = join(dir, 'repo');
  await mkdir(repo);
  await writeFile(join(repo, 'counter'), '0');
  const dead = spawn('true');
  await new Promise((r) => dead.once('exit', r));
  // A candidate file left by a publisher killed before it linked it is swept by the next lock holder.
  await writeFile(join(repo, `.kiln-publish.lock.${dead.pid}.0123abcd`), '{}');

  const workers: { child: ChildProcessByStdio<Writable, Readable, null>; lines: AsyncIterator<string> }[] = [];
  for (let i = 0; i < 6; i++) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/publish/fixtures/lock-worker.ts'), repo],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    workers.push({ child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() });
  }
  try {
    const rounds = 40;
    let overlaps = 0;
    for (let round = 0; round < rounds; round++) {
      await writeFile(
        join(repo, '.kiln-publish.lock'),
        JSON.stringify({ pid: dead.pid, host: hostname(), started: '2026-01-01T00:00:00Z', token: `stale${round}` }) +
          '\n',
      );
      for (const w of workers) w.child.stdin.write(`go ${round}\n`);
      for (const w of workers) {
        const { value } = await w.lines.next();
        assert.match(String(value), /^done/);
        if (/overlap/.test(String(value))) overlaps++;
      }
    }
    assert.equal(overlaps, 0, 'two processes held the lock at once');
    assert.equal(Number(await readFile(join(repo, 'counter'), 'utf8')), rounds * workers.length, 'no lost update');
    assert.deepEqual(
      (await readdir(repo)).filter((f) => f.startsWith('.kiln-publish.lock')),
      [],
      'lock released, no candidate files left',
    );
  } finally {
    for (const w of workers) w.child.stdin.end();
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(0) : w.child.once('exit', r)))),
    );
  }
});
