// `kiln lint` and `kiln jobs` end to end through bin/kiln.js (sources via tsx).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CORPUS_DIR } from './corpus-helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIX = join(ROOT, 'test', 'pipeline', 'fixtures');

function kiln(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'kiln.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: '1' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('kiln lint: exit 0 on a valid file, 1 with every error and its location', () => {
  const ok = kiln(['lint', '--dir', join(FIX, 'features', 'parallel'), '--ref', 'main']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /valid/);
  const bad = kiln(['lint', '--dir', join(FIX, 'errors', 'wrong-type'), '--ref', 'main']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^\.gitlab-ci\.yml:3:9: jobs:build:tags: should be an array of strings/m);
  assert.match(bad.err, /^\.gitlab-ci\.yml:4:10: jobs:build:retry: /m);
  assert.ok(!/\n\s+at /.test(bad.err), 'no stack trace');
});

test('kiln lint --json lists errors with file, line, col and path', () => {
  const r = kiln(['lint', '--json', '--dir', join(FIX, 'errors', 'undefined-needs'), '--ref', 'main']);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.equal(j.valid, false);
  assert.deepEqual(
    { ...j.errors[0], message: undefined },
    {
      file: '.gitlab-ci.yml',
      line: 6,
      col: 11,
      path: 'jobs:test:needs',
      detail: 'job "compile" is not defined',
      message: undefined,
    },
  );
});

test("kiln jobs --json gives expected.json's shape; --all adds excluded jobs with reasons", () => {
  const dir = join(CORPUS_DIR, 'openconnect');
  const r = kiln([
    'jobs',
    '--json',
    '--all',
    '--dir',
    dir,
    '--ref',
    'main',
    '--source',
    'push',
    '--default-branch',
    'main',
    '--before-sha',
    '0'.repeat(40),
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.context, { ref: 'main', tag: false, source: 'push' });
  assert.equal(Object.keys(j.jobs).length, 22);
  const signoff = j.jobs.Signoff;
  assert.deepEqual([signoff.stage, signoff.when, signoff.needs], ['test', 'on_success', null]);
  assert.equal(j.excluded.Coverity.reason, 'only:refs not satisfied');
});

test('kiln jobs: human listing by stage with matrix values; --variable changes rule outcomes', () => {
  const dir = join(FIX, 'features', 'rules');
  const r = kiln(['jobs', '--dir', dir, '--ref', 'main', '--variable', 'SKIP_LINT_NEED=1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^build:$/m);
  assert.match(r.out, /^ {2}test {2}when=on_success needs=\[build\]$/m);
  const m = kiln(['jobs', '--dir', join(FIX, 'features', 'parallel'), '--ref', 'main']);
  assert.match(m.out, /build: \[arm64, 2\] {2}when=on_success matrix=\{ARCH=arm64, DISTRO=2\}/);
  const bad = kiln(['jobs', '--dir', dir, '--variable', 'NOEQUALS']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--variable expects NAME=VALUE/);
});
