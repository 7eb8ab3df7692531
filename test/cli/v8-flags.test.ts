import { test } from 'node:test';
import assert from 'node:assert/strict';
import { v8FlagsFor } from '../../src/boot/v8-flags.js';

test('jobs and lint run without the optimizing compiler; other commands keep V8 defaults', () => {
  const argv = (...a: string[]) => ['/usr/bin/node', '/opt/kiln/bin/kiln.js', ...a];
  assert.deepEqual(v8FlagsFor(argv('jobs', '--json')), { set: '--no-opt', reset: '--opt' });
  assert.deepEqual(v8FlagsFor(argv('--debug', 'lint')), { set: '--no-opt', reset: '--opt' });
  assert.equal(v8FlagsFor(argv('run', 'jobs')), undefined);
  assert.equal(v8FlagsFor(argv('help', 'jobs')), undefined);
  assert.equal(v8FlagsFor(argv('--version')), undefined);
  assert.equal(v8FlagsFor(argv()), undefined);
});
