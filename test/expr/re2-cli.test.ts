// Regexes in rules go through RE2 end to end: `kiln jobs` decides a rule whose pattern takes exponential time in a
// backtracking engine (it ran for minutes before), and reports what RE2 refuses at its position.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function kilnJobs(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-re2-'));
  try {
    writeFileSync(join(dir, '.gitlab-ci.yml'), yaml);
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'kiln.js'), 'jobs', '--json', '--dir', dir, '--ref', 'main', '--default-branch', 'main'],
      { encoding: 'utf8', env: { ...process.env, KILN_FROM_SOURCE: '1' }, timeout: 60_000 },
    );
    return { code: r.status, out: r.stdout, err: r.stderr, timedOut: r.error !== undefined };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a catastrophic-backtracking rules:if regex is decided at once (RE2)', () => {
  const r = kilnJobs(`variables:
  MSG: "Fix the release build so that packages for every supported distribution are published again!"
  OK_MSG: "Fix the release build so that packages for every supported distribution are published again"
hang:
  script: echo hi
  rules:
    - if: $MSG =~ /^(\\w+\\s?)*$/
words:
  script: echo hi
  rules:
    - if: $OK_MSG =~ /^(\\w+\\s?)*$/
`);
  assert.equal(r.timedOut, false, 'kiln jobs returned');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(Object.keys(JSON.parse(r.out).jobs), ['words']);
});

test('what RE2 refuses is a syntax error at its position', () => {
  const r = kilnJobs(`build:
  script: echo hi
  rules:
    - if: $CI_COMMIT_BRANCH =~ /^(?!wip)/
`);
  assert.equal(r.code, 1, r.out);
  assert.match(r.err, /\.gitlab-ci\.yml:4:\d+: .*rules.*lookaround assertions are not supported by RE2/);
});
