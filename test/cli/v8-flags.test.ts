import { test } from 'node:test';
import assert from 'node:assert/strict';
import { v8FlagsFor } from '../../src/boot/v8-flags.js';

const argv = (...a: string[]) => ['/usr/bin/node', '/opt/kiln/bin/kiln.js', ...a];

test('jobs and lint run without the optimizing compiler; other commands keep V8 defaults', () => {
  assert.deepEqual(v8FlagsFor(argv('jobs', '--json'), ''), { set: '--no-opt', reset: '--opt' });
  assert.deepEqual(v8FlagsFor(argv('--debug', 'lint'), '--max-old-space-size=100'), {
    set: '--no-opt',
    reset: '--opt',
  });
  assert.equal(v8FlagsFor(argv('help', 'run'), ''), undefined);
  assert.equal(v8FlagsFor(argv('help', 'jobs'), ''), undefined);
  assert.equal(v8FlagsFor(argv('--version'), ''), undefined);
  assert.equal(v8FlagsFor(argv(), ''), undefined);
});

test('a node started with its own JIT flags is left alone', () => {
  for (const f of ['--jitless', '--no-opt', '--max-opt=2', '--turbofan', '--cpu-prof --no-turbofan']) {
    assert.equal(v8FlagsFor(argv('jobs'), f), undefined, f);
  }
});

test('kiln run keeps the young generation at its start size, unless node was given its own heap flags', () => {
  const young = { set: '--semi-space-growth-factor=1', reset: '--semi-space-growth-factor=2' };
  assert.deepEqual(v8FlagsFor(argv('run', 'jobs'), ''), young);
  assert.deepEqual(v8FlagsFor(argv('run'), '--jitless'), young, 'JIT flags do not matter here');
  assert.equal(v8FlagsFor(argv('run'), '--max-semi-space-size=8'), undefined);
  assert.equal(v8FlagsFor(argv('run'), '--semi-space-growth-factor=4'), undefined);
});
