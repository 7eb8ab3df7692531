// The built CLI (dist/) end to end, as users run it: the rest of the suite runs the sources through tsx, so these
// catch what only the bundle can break — the run path with caches and parked trees, and the dependencies kept
// outside the bundle (openpgp for signing, loaded at run time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, makeCopy, ROOT } from './helpers/built-copy.js';
import { makeKey, sampleDeb } from '../publish/helpers.js';

let built: string | undefined;
function kilnBin(): string {
  if (!built) {
    built = makeCopy();
    build(built);
  }
  return join(built, 'bin', 'kiln.js');
}

function kiln(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [kilnBin(), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: undefined, NO_COLOR: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test.after(() => {
  if (built) rmSync(built, { recursive: true, force: true });
});

test('the bundle runs the bundled example twice; the second run takes the parked cache tree', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bundle-'));
  try {
    cpSync(join(ROOT, 'examples', 'hello'), dir, { recursive: true });
    const first = kiln(['run', '--dir', dir, '--json']);
    assert.equal(first.code, 0, first.err + first.out);
    assert.equal(JSON.parse(first.out).status, 'passed');
    const second = kiln(['run', '--dir', dir, '--json']);
    assert.equal(second.code, 0, second.err + second.out);
    const summary = JSON.parse(second.out) as { pipelineId: number; jobs: { name: string; cache: string }[] };
    const cached = summary.jobs.filter((j) => j.cache === 'hit');
    assert.ok(cached.length > 0, 'a job of the example restores its cache');
    const log = readFileSync(
      join(dir, '.kiln', 'pipelines', String(summary.pipelineId), `${cached[0].name}.log`),
      'utf8',
    );
    assert.match(log, /Successfully extracted cache .* a parked tree moved in/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundle signs an apt repository (openpgp loaded from node_modules at run time)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bundle-apt-'));
  try {
    const key = await makeKey(dir, 'bundle');
    const deb = await sampleDeb(dir, { name: 'hello', version: '1.0' });
    const repo = join(dir, 'repo');
    const r = kiln(['publish', 'apt', '--repo', repo, '--suite', 'stable', '--sign-key', key.priv, deb]);
    assert.equal(r.code, 0, r.err + r.out);
    const inRelease = readFileSync(join(repo, 'dists', 'stable', 'InRelease'), 'utf8');
    assert.match(inRelease, /-----BEGIN PGP SIGNED MESSAGE-----/);
    assert.match(inRelease, /-----BEGIN PGP SIGNATURE-----/);
    assert.ok(existsSync(join(repo, 'dists', 'stable', 'Release.gpg')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundle evaluates rules:if regexes with RE2 (re2js inlined, loaded on first use)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bundle-re2-'));
  try {
    writeFileSync(
      join(dir, '.gitlab-ci.yml'),
      `variables:
  MSG: "${'word '.repeat(30)}!"
slow-in-a-backtracking-engine:
  script: echo hi
  rules:
    - if: $MSG =~ /^(\\w+\\s?)*$/
greek:
  script: echo hi
  rules:
    - if: $MSG =~ /\\p{Greek}/ || $CI_COMMIT_BRANCH =~ /^ma(?i)IN$/
`,
    );
    const r = kiln(['jobs', '--json', '--dir', dir, '--ref', 'main', '--default-branch', 'main']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.deepEqual(Object.keys(JSON.parse(r.out).jobs), ['greek']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
