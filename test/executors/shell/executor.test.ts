import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createShellExecutor } from '../../../src/executors/shell/executor.js';
import type { StepResult } from '../../../src/executors/types.js';
import { makeJob } from '../../run/helpers/model.js';

async function run(
  lines: string[],
  o: { kind?: 'main' | 'after'; timeoutMs?: number; signal?: AbortSignal; env?: Record<string, string> } = {},
) {
  const ws = await mkdtemp(join(tmpdir(), 'kiln-shell-'));
  const ex = createShellExecutor({ killGraceMs: 300 });
  const prepared = await ex.prepare({
    job: makeJob('j'),
    workspaceDir: ws,
    env: { PATH: process.env.PATH!, ...o.env },
    runId: 't',
  });
  let out = '';
  const r: StepResult = await ex.runScript(prepared, o.kind ?? 'main', lines, {
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    onOutput: (c) => (out += c.toString()),
  });
  await ex.cleanup(prepared);
  return { r, out: out.replace(/\x1b\[[0-9;]*m/g, ''), ws };
}

test('commands are echoed, run in the workspace, and state carries between lines', async () => {
  const { r, out, ws } = await run([
    'export X=hello',
    'cd sub 2>/dev/null || mkdir sub',
    'echo "$X from $(pwd)"',
    'echo "multi\nline"',
  ]);
  assert.equal(r.exitCode, 0);
  assert.match(out, /^\$ export X=hello\n/);
  assert.ok(out.includes(`hello from ${ws}\n`), out);
  assert.ok(out.includes('$ echo "multi # collapsed multi-line command'), out);
});

test('stops at the first failing command with its exit code; pipefail applies', async () => {
  const a = await run(['echo one', 'sh -c "exit 7"', 'echo never']);
  assert.equal(a.r.exitCode, 7);
  assert.ok(!a.out.includes('never\n'));
  const b = await run(['false | true', 'echo never']);
  assert.equal(b.r.exitCode, 1);
  const c = await run(['if false; then echo x; fi', 'false || echo recovered', 'exit 0']);
  assert.equal(c.r.exitCode, 0);
  assert.ok(c.out.includes('recovered'));
  const d = await run(['definitely-not-a-command-kiln']);
  assert.equal(d.r.exitCode, 127);
  assert.match(d.out, /command not found/);
});

test('timeout kills the whole process tree', async () => {
  const marker = join(await mkdtemp(join(tmpdir(), 'kiln-tree-')), 'survived');
  const t0 = Date.now();
  const { r } = await run([`(sleep 1.5; touch ${marker}) &`, 'sleep 30'], { timeoutMs: 300 });
  assert.equal(r.timedOut, true);
  assert.ok(Date.now() - t0 < 5000);
  await new Promise((res) => setTimeout(res, 1800));
  assert.equal(existsSync(marker), false, 'background child was killed with the job');
});

test('background processes do not outlive a successful step', async () => {
  const marker = join(await mkdtemp(join(tmpdir(), 'kiln-bg-')), 'survived');
  const { r } = await run([`(sleep 1; touch ${marker}) &`, 'echo done']);
  assert.equal(r.exitCode, 0);
  await new Promise((res) => setTimeout(res, 1300));
  assert.equal(existsSync(marker), false);
});

test('cancel via AbortSignal stops the step', async () => {
  const c = new AbortController();
  setTimeout(() => c.abort(), 200);
  const t0 = Date.now();
  const { r } = await run(['trap "" TERM; sleep 30'], { signal: c.signal });
  assert.equal(r.cancelled, true);
  assert.ok(Date.now() - t0 < 3000, 'SIGKILL follows when TERM is ignored');
});

test('scripts see the given environment and write nothing outside the workspace', async () => {
  const { r, out, ws } = await run(['echo "v=$MY_VAR"', 'echo data > file.txt'], { env: { MY_VAR: 'x y' } });
  assert.equal(r.exitCode, 0);
  assert.ok(out.includes('v=x y\n'));
  assert.equal(await readFile(join(ws, 'file.txt'), 'utf8'), 'data\n');
});
