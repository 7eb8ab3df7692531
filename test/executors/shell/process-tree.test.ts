// Issue 15 items 6, 8 and 10 (shell executor): /dev/stdout and /dev/stderr can be opened; a `setsid` child
// (its own session and process group) does not outlive its step, with a cgroup or with the environment sweep;
// stdout and stderr arrive as one stream in the order they were written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createShellExecutor } from '../../../src/executors/shell/executor.js';
import { runInProcessGroup } from '../../../src/executors/shell/process.js';
import { createProcessTree } from '../../../src/executors/shell/process-tree.js';
import { makeJob } from '../../run/helpers/model.js';

async function run(lines: string[], o: { timeoutMs?: number; signal?: AbortSignal } = {}) {
  const ws = await mkdtemp(join(tmpdir(), 'kiln-shell-'));
  const ex = createShellExecutor({ killGraceMs: 300 });
  const prepared = await ex.prepare({
    job: makeJob('j'),
    workspaceDir: ws,
    env: { PATH: process.env.PATH! },
    runId: 't',
  });
  let out = '';
  const r = await ex.runScript(prepared, 'main', lines, {
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    onOutput: (c) => (out += c.toString()),
  });
  await ex.cleanup(prepared);
  return { r, out: out.replace(/\x1b\[[0-9;]*m/g, '') };
}

/** Running (a zombie waiting for a parent that does not reap it counts as gone). */
const alive = (pid: number) => {
  const r = spawnSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' });
  return r.status === 0 && !/^\d+ \(.*\) Z /.test(r.stdout);
};

test('/dev/stdout and /dev/stderr can be opened by a job, and both streams keep their order', async () => {
  const { r, out } = await run([
    'echo to-stderr > /dev/stderr',
    'echo to-stdout > /dev/stdout',
    'for i in 1 2 3; do echo "o$i"; echo "e$i" >&2; done',
  ]);
  assert.equal(r.exitCode, 0, out);
  assert.match(out, /^to-stderr$/m);
  assert.match(out, /^to-stdout$/m);
  assert.match(out, /o1\ne1\no2\ne2\no3\ne3\n/);
});

async function setsidSurvivor(
  lines: (pidFile: string, marker: string) => string[],
  o: { timeoutMs?: number; abortAfterMs?: number } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-setsid-'));
  const pidFile = join(dir, 'pid');
  const marker = join(dir, 'survived');
  const ac = new AbortController();
  if (o.abortAfterMs) setTimeout(() => ac.abort('test'), o.abortAfterMs);
  const { r, out } = await run(lines(pidFile, marker), { timeoutMs: o.timeoutMs, signal: ac.signal });
  assert.ok(existsSync(pidFile), `the setsid child started: ${out}`);
  const pid = Number(spawnSync('cat', [pidFile], { encoding: 'utf8' }).stdout.trim());
  assert.ok(pid > 0);
  assert.equal(alive(pid), false, `setsid child ${pid} is still running after the step (${JSON.stringify(r)})`);
  await new Promise((res) => setTimeout(res, 1200));
  assert.equal(existsSync(marker), false, 'the setsid child went on running');
}

const setsidChild = (pidFile: string, marker: string) => [
  `setsid sh -c 'echo $$ > ${pidFile}; sleep 1; touch ${marker}; sleep 60' < /dev/null > /dev/null 2>&1 &`,
  `while [ ! -s ${pidFile} ]; do sleep 0.05; done`,
];

test('a setsid child does not outlive the end of its step', async () => {
  await setsidSurvivor((p, m) => setsidChild(p, m));
});

test('a setsid child does not outlive a cancelled step (Ctrl-C)', async () => {
  await setsidSurvivor((p, m) => [...setsidChild(p, m), 'sleep 30'], { abortAfterMs: 800 });
});

test('without a cgroup, the environment sweep ends a setsid child too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-setsid-'));
  const pidFile = join(dir, 'pid');
  const marker = join(dir, 'survived');
  let out = '';
  const r = await runInProcessGroup({
    command: 'bash',
    args: ['-c', setsidChild(pidFile, marker).join('\n')],
    cwd: dir,
    env: { PATH: process.env.PATH! },
    onOutput: (c) => (out += c),
    cgroup: false,
  });
  assert.equal(r.exitCode, 0, out);
  const pid = Number(spawnSync('cat', [pidFile], { encoding: 'utf8' }).stdout.trim());
  assert.equal(alive(pid), false, `setsid child ${pid} is still running after the step`);
  await new Promise((res) => setTimeout(res, 1200));
  assert.equal(existsSync(marker), false, 'the setsid child went on running');
});

test('a step runs in a cgroup of its own where cgroup v2 is writable', (t) => {
  const tree = createProcessTree();
  if (tree.mode !== 'cgroup') {
    // Not every host delegates cgroups; the sweep above covers those. CI runs as root with cgroup v2.
    if (process.env.CI === 'true' && process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/cgroup.controllers'))
      assert.fail('cgroup v2 is writable here but was not used');
    t.skip('no writable cgroup v2 here');
  }
  return tree.kill();
});
