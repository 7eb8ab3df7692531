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
    cwd, encoding: 'utf8', env: { ...process.env, KILN_FROM_SOURCE: '1', NO_COLOR: '1' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const SECRET = 'root:\n  $y$j9T$SECRETHASH: 1\ndaemon: "x\n';

test('include:local through a symlink to a host file is refused without reading it', () => {
  const { base, project, outside } = sandbox();
  try {
    writeFileSync(join(outside, 'shadow'), SECRET);
    symlinkSync('../outside/shadow', join(project, 'leak.yml'));
    symlinkSync(join(outside, 'shadow'), join(project, 'abs.yml'));
    writeFileSync(join(project, '.gitlab-ci.yml'), 'include:\n  - local: leak.yml\n  - local: /abs.yml\nbuild:\n  script: echo\n');
    const r = kiln(['lint'], project);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /^\.gitlab-ci\.yml:2:5: include:0: file `leak\.yml` leads outside the project through a symbolic link/m);
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
    writeFileSync(join(project, '.gitlab-ci.yml'), 'include:\n  - local: ci/shadow.yml\n  - local: "inc/*.yml"\n  - local: "ci/*.yml"\n');
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
