// `kiln run` and friends on hostile or unlucky inputs: each ends with a clear error naming the cause, never an
// internal error, and nothing is silently left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gitIn, makeProject, runKiln } from '../helpers/project.js';

const NON_UTF8 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "caf\xe9.txt" (Latin-1 é)

/** A 1 MiB tmpfs mounted for the test, or why there cannot be one (mounting needs root). */
async function smallFilesystem(): Promise<{ dir: string } | { problem: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    return { problem: `cannot mount a tmpfs: ${(r.stderr || r.error?.message || '').trim()}` };
  }
  return { dir };
}

test('a full disk while copying sources is an error with its cause (ENOSPC), not an internal error', async (t) => {
  const fs = await smallFilesystem();
  if ('problem' in fs) {
    // CI runs as root and can mount; elsewhere the test says why it could not run.
    if (process.env.CI === 'true') throw new Error(fs.problem);
    t.skip(fs.problem);
    return;
  }
  try {
    const dir = join(fs.dir, 'p');
    await mkdir(dir);
    await writeFile(join(dir, '.gitlab-ci.yml'), 'build:\n  script: [echo hi]\n');
    await writeFile(join(dir, 'big.bin'), randomBytes(700_000)); // the snapshot's copy does not fit next to it
    gitIn(dir, 'init', '-q', '-b', 'main');
    const r = await runKiln(['run', '--dir', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^kiln: cannot copy big\.bin from .* no space left on device \(ENOSPC\)$/m);
    assert.doesNotMatch(r.stderr, /internal error/);
  } finally {
    spawnSync('umount', [fs.dir]);
    await rm(fs.dir, { recursive: true, force: true });
  }
});

test('a source file whose name is not UTF-8 is refused by name, not silently left out of the workspace', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': 'build:\n  script: [ls]\n' }, { git: false });
  await writeFile(Buffer.concat([Buffer.from(`${dir}/`), NON_UTF8]), 'x');
  gitIn(dir, 'init', '-q', '-b', 'main');
  const r = await runKiln(['run', '--dir', dir]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /^kiln: file name "caf\\xe9\.txt" is not valid UTF-8; kiln handles only UTF-8 file names/m);
});

test('a job output whose name is not UTF-8 fails the artifact upload with the name, not ENOENT', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `build:
  script:
    - mkdir -p out
    - touch "out/$(printf 'caf\\351.txt')" out/ok.txt
  artifacts:
    paths: [out/]
`,
  });
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const job = (JSON.parse(r.stdout) as { jobs: { name: string; status: string; message?: string }[] }).jobs[0];
  assert.equal(job.status, 'failed');
  assert.match(job.message ?? '', /file name "out\/caf\\xe9\.txt" is not valid UTF-8/);
});

test('a variable named __proto__ reaches the job, from YAML and from a dotenv report', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `variables:
  __proto__: "from-yaml"
make:
  stage: build
  script:
    - echo "[$__proto__]"
    - echo "constructor=from-dotenv" > vars.env
  artifacts:
    reports:
      dotenv: vars.env
use:
  stage: test
  script:
    - echo "[$__proto__] [$constructor]"
`,
  });
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const id = (JSON.parse(r.stdout) as { pipelineId: number }).pipelineId;
  const log = await readFile(join(dir, '.kiln', 'pipelines', String(id), 'use.log'), 'utf8');
  assert.match(log, /\[from-yaml\] \[from-dotenv\]/);
});

test('a directory passed as a .deb is a usage error naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-debdir-'));
  const deb = join(dir, 'pkg.deb');
  await mkdir(deb);
  const apt = await runKiln(['publish', 'apt', '--repo', join(dir, 'repo'), '--suite', 'stable', '--unsigned', deb]);
  assert.equal(apt.code, 2, apt.stderr);
  assert.equal(apt.stderr.trim(), `kiln: ${deb}: is a directory, not a .deb file`);
  const aptly = await runKiln([
    'publish',
    'aptly',
    '--url',
    'http://127.0.0.1:9',
    '--repo',
    'r',
    '--distribution',
    'd',
    deb,
  ]);
  assert.equal(aptly.code, 2, aptly.stderr);
  assert.equal(aptly.stderr.trim(), `kiln: ${deb}: is a directory, not a .deb file`);
});
