// The .NET flagship: examples/dotnet-aot's unmodified .gitlab-ci.yml run by `kiln run` with the Docker executor.
// The build image is built from build-image/Dockerfile through BuildKit by `kiln run` itself ([images.*] in
// kiln.toml, FROM a `kiln image bootstrap` image); the host's .NET SDK is mounted read-only; NuGet's packages folder
// is a named volume; restores go to the package sources of the host's own NuGet.Config. One run restores, tests,
// publishes NativeAOT binaries for linux-x64 and linux-arm64 (cross), proves them against UOS 20, Kylin V10 SP1 and
// Debian 11, runs both (arm64 under QEMU) and compares their outputs, packages, publishes an apt repository and
// installs from it in clean containers of both architectures. The second run downloads nothing and builds no image.
// Without the glibc-compat object, UOS 20 fails on GLIBC_2.29 (log).
//
// Needs Docker, binfmt for aarch64, mmdebstrap and the .NET 10 SDK with a reachable NuGet source. Without them the
// tests skip with the reason, except under CI=true, where they fail.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binfmtProblem, dockerProblem, kilnBin, makeSigningKey } from './harness.js';
import { copyDotnetExample, dotnetExampleDir, dotnetSdkRoot, hostNugetConfig, nugetCounts } from './dotnet-aot-host.js';
import { failureReport, jobLog, runPipeline, type PipelineRun } from './pipeline-run.js';

const VERSION = readFileSync(join(dotnetExampleDir, 'VERSION'), 'utf8').trim();
const EXPECTED = readFileSync(join(dotnetExampleDir, 'testdata', 'sample.expected.json'), 'utf8');
const BUILD_JOBS = [
  'restore',
  'test',
  'publish: [linux-x64]',
  'publish: [linux-arm64]',
  'portability',
  'package',
  'publish-apt',
];

describe('flagship: examples/dotnet-aot (.NET NativeAOT) end to end', () => {
  let problem: string | null = null;
  let base = '';
  let sdkRoot = '';
  let keys: { privateKey: string; publicKey: string };
  let first: PipelineRun | undefined;
  const volume = `kiln-test-nuget-${randomBytes(4).toString('hex')}`;

  before(async () => {
    const sdk = dotnetSdkRoot();
    const mmdebstrap = spawnSync('mmdebstrap', ['--version']).status === 0 ? null : 'mmdebstrap is not installed';
    problem =
      (await dockerProblem()) ??
      binfmtProblem() ??
      mmdebstrap ??
      sdk.problem ??
      (hostNugetConfig() ? null : 'the host has no ~/.nuget/NuGet/NuGet.Config (run any `dotnet` command once)');
    if (problem && process.env.CI === 'true')
      throw new Error(`the .NET flagship test needs Docker and the .NET SDK under CI=true: ${problem}`);
    sdkRoot = sdk.root ?? '';
    base = mkdtempSync(join(tmpdir(), 'kiln-dotnet-'));
    keys = await makeSigningKey();
  });

  after(() => {
    spawnSync('docker', ['volume', 'rm', '-f', volume]);
    if (base && !process.env.KILN_TEST_KEEP) rmSync(base, { recursive: true, force: true });
  });

  const ready = (t: TestContext): boolean => {
    if (problem) t.skip(problem);
    return !problem;
  };
  const vars = () => ({ APT_SIGNING_KEY: keys.privateKey });

  it('bootstraps the bullseye images with kiln image bootstrap', { timeout: 45 * 60_000 }, (t) => {
    if (!ready(t)) return;
    const r = spawnSync('bash', [join(dotnetExampleDir, 'images.sh')], {
      encoding: 'utf8',
      env: { ...process.env, KILN: `${process.execPath} ${kilnBin}`, KILN_FROM_SOURCE: '1' },
      timeout: 45 * 60_000,
    });
    assert.equal(r.status, 0, `images.sh failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-6000)}`);
  });

  it('runs the whole pipeline with a cold NuGet cache', { timeout: 90 * 60_000 }, async (t) => {
    if (!ready(t)) return;
    const project = join(base, 'project');
    copyDotnetExample(project, sdkRoot, volume);
    first = await runPipeline(project, vars());
    t.diagnostic(`first run (cold NuGet volume): ${first.seconds.toFixed(1)} s`);
    assert.equal(first.status, 'passed', failureReport(first));

    // The build image came from kiln.toml's [images.dotnet-build] (built now or found unchanged).
    assert.match(
      jobLog(first, 'restore'),
      /Using image kiln-example\/dotnet-aot-build:1 from kiln\.toml \[images\.dotnet-build\]: kiln-example\/dotnet-aot-build:kiln-[0-9a-f]{12}-amd64/,
    );

    // Restores went to the host's package source: the cold volume downloaded the compilers and runtime packs.
    const cold = nugetCounts(jobLog(first, 'restore'));
    assert.equal(cold.length, 3, jobLog(first, 'restore'));
    const downloads = cold.reduce((n, c) => n + c.downloads, 0);
    t.diagnostic(
      `cold restore: ${cold.map((c) => `${c.what}: ${c.requests} requests, ${c.downloads} downloads`).join('; ')}`,
    );
    assert.ok(
      cold.every((c) => c.requests > 0),
      'each cold restore asked the source',
    );
    assert.ok(downloads >= 5, `packages downloaded into the empty volume: ${downloads}`);

    assert.match(jobLog(first, 'test'), /Passed!\s+- Failed:\s+0, Passed:\s+\d+/);
    for (const rid of ['linux-x64', 'linux-arm64']) {
      const log = jobLog(first, `publish: [${rid}]`);
      assert.match(log, /Generating native code/);
      assert.match(log, new RegExp(`Jpack -> /builds/\\S+/out/${rid}/`));
    }

    // Both binaries, NativeAOT, within the glibc 2.28 floor.
    const abi = jobLog(first, 'portability');
    assert.match(abi, /out\/linux-x64\/jpack\s+x86_64, glibc, dynamic/);
    assert.match(abi, /out\/linux-arm64\/jpack\s+aarch64, glibc, dynamic/);
    for (const target of ['uos-20', 'kylin-desktop-v10-sp1', 'debian-11']) {
      const oks = abi.split('\n').filter((l) => new RegExp(`^\\s*ok\\s+${target.replace(/\./g, '\\.')}\\b`).test(l));
      assert.equal(oks.length, 2, `both binaries pass ${target}:\n${abi}`);
    }
    assert.doesNotMatch(abi, /FAIL/);

    // Each binary runs on its architecture (arm64 under QEMU) and they agree.
    for (const [job, machine, arch] of [
      ['smoke:amd64', 'x86_64', 'x64'],
      ['smoke:arm64', 'aarch64', 'arm64'],
    ]) {
      const log = jobLog(first, job);
      assert.match(log, new RegExp(`^${machine}$`, 'm'));
      assert.match(log, new RegExp(`^jpack ${VERSION.replace(/\./g, '\\.')} \\(${arch}, NativeAOT\\)$`, 'm'));
      assert.ok(log.includes(EXPECTED.trim().split('\n')[5]), `${job} printed the report`);
    }
    const compare = jobLog(first, 'compare');
    assert.match(compare, /compare: linux-x64 and linux-arm64 outputs are identical/);
    assert.match(compare, /compare: output is as expected/);

    // Packaged, published, installed with apt-get in clean containers of both architectures.
    const pkg = jobLog(first, 'package');
    for (const arch of ['amd64', 'arm64']) assert.ok(pkg.includes(`jpack_${VERSION}_${arch}.deb`), pkg);
    assert.match(jobLog(first, 'publish-apt'), /signed by [0-9A-F]{40}/);
    for (const [arch, machine] of [
      ['amd64', 'x86_64'],
      ['arm64', 'aarch64'],
    ]) {
      const log = jobLog(first, `install-check:${arch}`);
      assert.match(log, new RegExp(`^${machine}$`, 'm'));
      assert.match(log, new RegExp(`Setting up jpack \\(${VERSION.replace(/\./g, '\\.')}\\)`));
      assert.match(log, /install-check: installed jpack gives the expected output/);
    }
  });

  it('runs again without a NuGet download and without an image build', { timeout: 60 * 60_000 }, async (t) => {
    if (!ready(t)) return;
    assert.ok(first, 'needs the first run');
    const second = await runPipeline(join(base, 'project'), vars());
    t.diagnostic(
      `first run: ${first.seconds.toFixed(1)} s, second run (warm NuGet volume): ${second.seconds.toFixed(1)} s`,
    );
    assert.equal(second.status, 'passed', failureReport(second));
    const warm = nugetCounts(jobLog(second, 'restore'));
    assert.equal(warm.length, 3);
    for (const c of warm)
      assert.deepEqual([c.requests, c.downloads], [0, 0], `warm restore of ${c.what} asked the source`);
    for (const job of BUILD_JOBS) {
      const log = jobLog(second, job);
      assert.match(log, /\[images\.dotnet-build\]: \S+ \(unchanged, not rebuilt\)/, `${job} used the existing image`);
      assert.doesNotMatch(log, /with BuildKit/, `${job}: no image build`);
    }
  });

  it(
    'without the glibc-compat object the binaries need GLIBC_2.29 (log) and fail UOS 20',
    { timeout: 60 * 60_000 },
    async (t) => {
      if (!ready(t)) return;
      const project = join(base, 'no-compat');
      copyDotnetExample(project, sdkRoot, volume);
      const run = await runPipeline(project, { ...vars(), GLIBC_FLOOR: '2.31' }, ['publish', 'portability']);
      assert.equal(run.status, 'failed', failureReport(run));
      assert.equal(run.jobs.get('portability')?.status, 'failed');
      const abi = jobLog(run, 'portability');
      const uos = abi.split('\n').filter((l) => /^\s*FAIL\s+uos-20:/.test(l));
      assert.equal(uos.length, 2, `both binaries fail uos-20:\n${abi}`);
      for (const line of uos) assert.match(line, /needs GLIBC_2\.29 \(from log\)/);
      assert.equal(abi.split('\n').filter((l) => /^\s*ok\s+kylin-desktop-v10-sp1/.test(l)).length, 2);
    },
  );
});
