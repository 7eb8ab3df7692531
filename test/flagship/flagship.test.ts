// The flagship: examples/portable-c's unmodified .gitlab-ci.yml, run by `kiln run` with the Docker executor on
// images made by `kiln image bootstrap`. One pipeline builds amd64 + arm64 (cross) in a bullseye image, proves
// the binaries run on Kylin V10 SP1 / Debian 11 / Ubuntu 20.04 (`kiln abi check`), smoke-tests each in an image of
// its own architecture (arm64 under QEMU), packages (.deb), publishes a signed apt repository and installs from
// it with apt-get in clean containers of both architectures. A second run restores the ccache cache; the same
// build in a bookworm image fails the portability job on GLIBC_2.34.
//
// Needs Docker, mmdebstrap, binfmt for aarch64 (`.ci/docker-setup.sh`). Without them the tests skip with the
// reason, except under CI=true, where they fail.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binfmtProblem, copyExample, dockerProblem, exampleDir, kilnBin, makeSigningKey } from './harness.js';
import { ccacheHits, failureReport, jobLog, runPipeline, stepSeconds, type PipelineRun } from './pipeline-run.js';

const BOOKWORM_BUILD_IMAGE = 'kiln-example/bookworm-build:1';
const EXPECTED = readFileSync(join(exampleDir, 'testdata', 'sample.expected'), 'utf8')
  .trim()
  .split('\n');
const VERSION = readFileSync(join(exampleDir, 'VERSION'), 'utf8').trim();

function mmdebstrapProblem(): string | null {
  const r = spawnSync('mmdebstrap', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'mmdebstrap is not installed (apt-get install mmdebstrap)';
}

describe('flagship: examples/portable-c end to end', () => {
  let problem: string | null = null;
  let base = '';
  let keys: { privateKey: string; publicKey: string };
  let first: PipelineRun | undefined;

  before(async () => {
    problem = (await dockerProblem()) ?? binfmtProblem() ?? mmdebstrapProblem();
    if (problem && process.env.CI === 'true') throw new Error(`flagship test needs Docker under CI=true: ${problem}`);
    base = mkdtempSync(join(tmpdir(), 'kiln-flagship-'));
    keys = await makeSigningKey();
  });

  after(() => {
    if (base && !process.env.KILN_TEST_KEEP) rmSync(base, { recursive: true, force: true });
  });

  const ready = (t: TestContext): boolean => {
    if (problem) t.skip(problem);
    return !problem;
  };
  const vars = () => ({ APT_SIGNING_KEY: keys.privateKey });

  it('bootstraps the images with kiln image bootstrap (kept by tag between runs)', { timeout: 45 * 60_000 }, (t) => {
    if (!ready(t)) return;
    const started = Date.now();
    const r = spawnSync('bash', [join(exampleDir, 'images.sh'), 'bookworm'], {
      encoding: 'utf8',
      env: { ...process.env, KILN: `${process.execPath} ${kilnBin}`, KILN_FROM_SOURCE: '1' },
      timeout: 45 * 60_000,
    });
    assert.equal(r.status, 0, `images.sh failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-6000)}`);
    t.diagnostic(`images ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('runs the whole pipeline from a clean store', { timeout: 40 * 60_000 }, async (t) => {
    if (!ready(t)) return;
    const project = join(base, 'project');
    copyExample(project);
    first = await runPipeline(project, vars());
    t.diagnostic(`first run (cold store): ${first.seconds.toFixed(1)} s`);
    assert.equal(first.status, 'passed', failureReport(first));
    assert.equal(first.result.code, 0);

    // Both binaries built (cross for arm64), with an empty compiler cache.
    for (const arch of ['amd64', 'arm64']) {
      const job = `build: [${arch}]`;
      assert.equal(first.jobs.get(job)?.status, 'success', job);
      assert.equal(first.jobs.get(job)?.cache, 'miss', `${job}: a clean store has no cache`);
      const log = jobLog(first, job);
      assert.match(log, new RegExp(`-o out/${arch}/kpack `), `${job} links out/${arch}/kpack`);
      assert.equal(ccacheHits(log), 0, `${job}: cold ccache`);
    }

    // Portability: both files pass all three targets.
    const abi = jobLog(first, 'portability');
    for (const arch of ['amd64', 'arm64']) {
      assert.match(abi, new RegExp(`out/${arch}/kpack\\s+${arch === 'amd64' ? 'x86_64' : 'aarch64'}, glibc`));
    }
    for (const target of ['kylin-desktop-v10-sp1', 'debian-11', 'ubuntu-20.04']) {
      const oks = abi.split('\n').filter((l) => new RegExp(`^\\s*ok\\s+${target.replace(/\./g, '\\.')}\\b`).test(l));
      assert.equal(oks.length, 2, `both binaries pass ${target}:\n${abi}`);
    }
    assert.doesNotMatch(abi, /FAIL/);

    // Smoke tests: each binary in an image of its own architecture; arm64 under emulation.
    const smokeArm = jobLog(first, 'smoke:arm64');
    assert.match(smokeArm, /^aarch64$/m, 'uname -m in the arm64 smoke job');
    const smokeAmd = jobLog(first, 'smoke:amd64');
    assert.match(smokeAmd, /^x86_64$/m);
    for (const log of [smokeArm, smokeAmd]) {
      assert.match(
        log,
        new RegExp(`kpack ${VERSION.replace(/\./g, '\\.')} \\(zlib 1\\.2\\.11\\)`),
        'bullseye zlib at run time',
      );
      for (const line of EXPECTED) assert.ok(log.includes(line), `smoke output has "${line}"`);
    }

    // Package and publish.
    const pkg = jobLog(first, 'package');
    for (const arch of ['amd64', 'arm64'])
      assert.ok(pkg.includes(`kpack_${VERSION}_${arch}.deb`), `package built kpack_${VERSION}_${arch}.deb`);
    const publish = jobLog(first, 'publish');
    for (const arch of ['amd64', 'arm64'])
      assert.match(publish, new RegExp(`added\\s+kpack ${VERSION.replace(/\./g, '\\.')} \\(${arch}\\)`));
    assert.match(publish, /signed by [0-9A-F]{40}/, 'the repository is signed');

    // apt-get installed the package from the generated repository, in a clean container of each architecture.
    for (const [arch, machine] of [
      ['amd64', 'x86_64'],
      ['arm64', 'aarch64'],
    ]) {
      const log = jobLog(first, `install-check:${arch}`);
      assert.match(log, new RegExp(`^${machine}$`, 'm'));
      assert.match(
        log,
        /file:\/\S+\/public\/apt stable\/main/,
        `apt-cache policy shows the file: repository (${arch})`,
      );
      assert.match(
        log,
        new RegExp(`Unpacking kpack \\(${VERSION.replace(/\./g, '\\.')}\\)`),
        `apt-get unpacked kpack (${arch})`,
      );
      assert.match(log, new RegExp(`Setting up kpack \\(${VERSION.replace(/\./g, '\\.')}\\)`));
      assert.match(log, new RegExp(`kpack ${VERSION.replace(/\./g, '\\.')} \\(zlib`), `installed kpack runs (${arch})`);
      assert.ok(log.includes('roundtrip: ok'));
    }
  });

  it('runs again faster thanks to the restored ccache cache', { timeout: 40 * 60_000 }, async (t) => {
    if (!ready(t)) return;
    assert.ok(first, 'needs the first run');
    const second = await runPipeline(join(base, 'project'), vars());
    t.diagnostic(`first run: ${first.seconds.toFixed(1)} s, second run (warm cache): ${second.seconds.toFixed(1)} s`);
    assert.equal(second.status, 'passed', failureReport(second));
    for (const arch of ['amd64', 'arm64']) {
      const job = `build: [${arch}]`;
      assert.equal(second.jobs.get(job)?.cache, 'hit', `${job} restored cache ccache-${arch}`);
      const hits = ccacheHits(jobLog(second, job));
      assert.ok(hits !== undefined && hits >= 2, `${job}: both compilations are ccache hits (got ${hits})`);
      const make = (run: PipelineRun) => stepSeconds(run, job, '$ make', '$ ccache --show-stats')?.toFixed(2) ?? '?';
      t.diagnostic(
        `${job}: job ${first.jobs.get(job)?.durationMs} ms cold, ${second.jobs.get(job)?.durationMs} ms warm; ` +
          `make step ${make(first)} s cold, ${make(second)} s warm`,
      );
    }
  });

  it(
    'fails portability for kylin-desktop-v10-sp1 when built in a bookworm image (GLIBC_2.34)',
    { timeout: 30 * 60_000 },
    async (t) => {
      if (!ready(t)) return;
      const project = join(base, 'bookworm');
      copyExample(project);
      const run = await runPipeline(project, { ...vars(), BUILD_IMAGE: BOOKWORM_BUILD_IMAGE }, [
        'build',
        'portability',
      ]);
      assert.equal(run.status, 'failed', `expected the pipeline to fail: ${failureReport(run)}`);
      assert.notEqual(run.result.code, 0);
      assert.equal(run.jobs.get('build: [amd64]')?.status, 'success', failureReport(run));
      assert.equal(run.jobs.get('build: [arm64]')?.status, 'success', failureReport(run));
      assert.equal(run.jobs.get('portability')?.status, 'failed');
      const abi = jobLog(run, 'portability');
      const kylin = abi.split('\n').filter((l) => /^\s*FAIL\s+kylin-desktop-v10-sp1:/.test(l));
      assert.equal(kylin.length, 2, `both binaries fail kylin-desktop-v10-sp1:\n${abi}`);
      for (const line of kylin) {
        assert.match(line, /needs GLIBC_2\.34 \(from __libc_start_main\)/);
        assert.match(line, /glibc 2\.31/);
      }
    },
  );
});
