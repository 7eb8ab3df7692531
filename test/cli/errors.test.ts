import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, formatLocated } from '../../src/errors.js';

test('ConfigError message names file:line:col and the key path', () => {
  const e = new ConfigError('job "compile" is not defined', { file: '.gitlab-ci.yml', line: 14, col: 7 }, [
    'jobs',
    'build',
    'needs',
  ]);
  assert.equal(e.message, '.gitlab-ci.yml:14:7: jobs:build:needs: job "compile" is not defined');
  assert.equal(e.exitCode, 1);
  assert.equal(formatLocated('x'), 'x');
});
