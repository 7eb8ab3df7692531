// Hostile and unlucky inputs to `kiln lint` / `kiln jobs`, end to end through the CLI: each gives a clear error
// with its position (never a crash, a hang, or a host file's content).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A temp dir with a project folder `p` (a git repository) and a folder `outside` next to it. */
function sandbox(): { base: string; project: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), 'kiln-hostile-'));
  const project = join(base, 'p');
  const outside = join(base, 'outside');
  mkdirSync(project);
  mkdirSync(outside);
  spawnSync('git', ['init', '-q', '-b', 'main', project]);
  return { base, project, outside };
}

function kiln(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'kiln.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: '1', NO_COLOR: '1' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const SECRET = 'root:\n  $y$j9T$SECRETHASH: 1\ndaemon: "x\n';

test('include:local through a symlink to a host file is refused without reading it', () => {
  const { base, project, outside } = sandbox();
  try {
    writeFileSync(join(outside, 'shadow'), SECRET);
    symlinkSync('../outside/shadow', join(project, 'leak.yml'));
    symlinkSync(join(outside, 'shadow'), join(project, 'abs.yml'));
    writeFileSync(
      join(project, '.gitlab-ci.yml'),
      'include:\n  - local: leak.yml\n  - local: /abs.yml\nbuild:\n  script: echo\n',
    );
    const r = kiln(['lint'], project);
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.err,
      /^\.gitlab-ci\.yml:2:5: include:0: file `leak\.yml` leads outside the project through a symbolic link/m,
    );
    assert.match(r.err, /^\.gitlab-ci\.yml:3:5: include:1: file `abs\.yml` leads outside the project/m);
    assert.doesNotMatch(r.err + r.out, /SECRETHASH|daemon/);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('include:local through a symlinked directory, and globs, stay inside the project', () => {
  const { base, project, outside } = sandbox();
  try {
    writeFileSync(join(outside, 'shadow.yml'), SECRET);
    symlinkSync('../outside', join(project, 'ci'));
    mkdirSync(join(project, 'inc'));
    writeFileSync(join(project, 'inc', 'ok.yml'), 'lint:\n  script: echo ok\n');
    symlinkSync('../../outside/shadow.yml', join(project, 'inc', 'zz.yml'));
    // A link inside the project to a file inside the project is fine.
    symlinkSync('ok.yml', join(project, 'inc', 'alias.yml'));
    writeFileSync(
      join(project, '.gitlab-ci.yml'),
      'include:\n  - local: ci/shadow.yml\n  - local: "inc/*.yml"\n  - local: "ci/*.yml"\n',
    );
    const r = kiln(['lint'], project);
    assert.equal(r.code, 1, r.out);
    const lines = r.err.trim().split('\n');
    assert.deepEqual(lines, [
      '.gitlab-ci.yml:2:5: include:0: file `ci/shadow.yml` leads outside the project through a symbolic link; kiln reads only files inside the project',
      '.gitlab-ci.yml:3:5: include:1: file `inc/zz.yml` leads outside the project through a symbolic link; kiln reads only files inside the project',
      // The glob does not walk into the symlinked directory (GitLab lists repository entries; a link is one).
      '.gitlab-ci.yml:4:12: include:2:local: local include `ci/*.yml` matches no file',
      '3 errors',
    ]);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

/** Lints (or lists the jobs of) a project whose .gitlab-ci.yml is `content` (bytes or text). */
function withFile(content: string | Buffer, args: string[]) {
  const { base, project } = sandbox();
  try {
    writeFileSync(join(project, '.gitlab-ci.yml'), content);
    return kiln(args, project);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

test('a variable-expansion bomb is an error naming the variable, not an internal error', () => {
  const lines = ['variables:', `  A0: "${'x'.repeat(100)}"`];
  for (let i = 1; i < 10; i++) lines.push(`  A${i}: "${`$A${i - 1}`.repeat(10)}"`);
  lines.push('build:', '  script: echo $A9');
  const r = withFile(`${lines.join('\n')}\n`, ['jobs']);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^kiln: variable A\d expands to more than 1 MiB/m);
  assert.doesNotMatch(r.err, /internal error|Invalid string length/);
});

test('800-deep flow nesting is "nested too deep" at the place it passes the limit', () => {
  const deep = 800;
  const seq = withFile(`build:\n  script: echo\n  variables:\n    X: ${'['.repeat(deep)}${']'.repeat(deep)}\n`, [
    'lint',
  ]);
  assert.equal(seq.code, 1);
  assert.equal(seq.err.split('\n')[0], '.gitlab-ci.yml:4:208: nested more than 200 levels deep');
  const map = withFile(`a: ${'{x: '.repeat(deep)}1${'}'.repeat(deep)}\nbuild:\n  script: echo\n`, ['lint']);
  assert.equal(map.err.split('\n')[0], '.gitlab-ci.yml:1:804: nested more than 200 levels deep');
  assert.doesNotMatch(seq.err + map.err, /call stack/);
});

test('invalid UTF-8 in .gitlab-ci.yml is an error at its position (never replaced by U+FFFD)', () => {
  const bytes = Buffer.concat([
    Buffer.from('build:\n  script:\n    - echo "caf'),
    Buffer.from([0xe9]),
    Buffer.from(' ok"\n'),
  ]);
  const r = withFile(bytes, ['lint']);
  assert.equal(r.code, 1, r.out);
  assert.equal(r.err.split('\n')[0], '.gitlab-ci.yml:3:16: invalid UTF-8 (byte 0xe9): the file must be UTF-8 text');
  const ok = withFile('build:\n  script:\n    - echo "café 😀"\n', ['lint']);
  assert.equal(ok.code, 0, ok.err);
});

test('a bad script item is reported at its own position and index', () => {
  const r = withFile('build:\n  script:\n    - echo one\n    - echo two\n    - {a: 1}\n', ['lint']);
  assert.equal(r.code, 1);
  assert.equal(
    r.err.split('\n')[0],
    '.gitlab-ci.yml:5:7: jobs:build:script:2: should be a string or a nested array of strings up to 10 levels deep, got a hash',
  );
  const nested = withFile('build:\n  script:\n    - echo one\n    - [a, [b, 3.5, [c, {d: e}]]]\n', ['lint']);
  assert.match(nested.err, /^\.gitlab-ci\.yml:4:24: jobs:build:script:1:1:2:1: should be a string/m);
});

test('a variable named __proto__ is a variable like any other', () => {
  const r = withFile(
    `variables:
  __proto__: "global"
  USES: "$__proto__-x"
build:
  variables:
    __proto__: "job"
  script: echo "$__proto__ $USES"
  rules:
    - if: $__proto__ == "job" && $USES == "global-x"
`,
    ['jobs', '--json'],
  );
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(Object.keys(JSON.parse(r.out).jobs), ['build']);
});
