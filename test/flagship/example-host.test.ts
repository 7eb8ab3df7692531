// The example without Docker: its pipeline and runner config are valid for kiln, and the program builds and
// runs on this host (native gcc for amd64, aarch64-linux-gnu-gcc + qemu-aarch64-static for arm64), with the same
// sizes and checksums on both architectures. On a glibc >= 2.34 host `kiln abi check` rejects the result for
// the glibc 2.31 targets — the reason the pipeline builds in a bullseye image.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyExample, exampleDir, kilnBin } from './harness.js';

const EXPECTED = readFileSync(join(exampleDir, 'testdata', 'sample.expected'), 'utf8')
  .trim()
  .split('\n');
const VERSION = readFileSync(join(exampleDir, 'VERSION'), 'utf8').trim();

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: '1', NO_COLOR: '1' },
  });
  return {
    code: r.status ?? -1,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}`,
    missing: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT',
  };
}

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** The lines of kpack's output that must not depend on the architecture or zlib build. */
function checkOutput(out: string): void {
  for (const line of EXPECTED) assert.ok(out.includes(line), `output has "${line}":\n${out}`);
}

describe('examples/portable-c on this host', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-example-'));
    copyExample(join(dir, 'p'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has a pipeline kiln accepts, with the jobs the guide describes', () => {
    const lint = run(process.execPath, [kilnBin, 'lint', '-C', join(dir, 'p')], dir);
    assert.equal(lint.code, 0, lint.out);
    const jobs = run(process.execPath, [kilnBin, 'jobs', '-C', join(dir, 'p'), '--json'], dir);
    assert.equal(jobs.code, 0, jobs.out);
    for (const name of [
      'build: [amd64]',
      'build: [arm64]',
      'portability',
      'smoke:amd64',
      'smoke:arm64',
      'package',
      'publish',
      'install-check:amd64',
      'install-check:arm64',
    ]) {
      assert.ok(jobs.out.includes(JSON.stringify(name)), `job "${name}" in:\n${jobs.out.slice(0, 2000)}`);
    }
  });

  it('has a kiln.toml kiln accepts (docker executor, kiln and node mounted read-only)', () => {
    const r = run(process.execPath, [kilnBin, 'config', '-C', join(dir, 'p'), '--json'], dir);
    assert.equal(r.code, 0, r.out);
    const settings = (JSON.parse(r.out) as { settings: { key: string; value: unknown }[] }).settings;
    const value = (key: string) => settings.find((s) => s.key === key)?.value;
    assert.equal(value('runner.executor'), 'docker');
    const volumes = value('docker.volumes') as string[];
    assert.ok(
      volumes.some((v) => v.endsWith(':/opt/kiln:ro')),
      JSON.stringify(volumes),
    );
    assert.ok(volumes.includes('/usr/bin/node:/usr/local/bin/node:ro'), JSON.stringify(volumes));
  });

  it('builds and runs for amd64 with the host compiler', (t) => {
    if (!has('gcc') || !has('g++') || !has('make')) return t.skip('gcc, g++ and make are needed');
    const p = join(dir, 'p');
    const build = run('make', ['ARCH=amd64', 'TOOLCHAIN=gcc', 'CCACHE='], p);
    if (/zlib\.h: No such file/.test(build.out)) return t.skip('zlib1g-dev is not installed');
    assert.equal(build.code, 0, build.out);
    const version = run(join(p, 'out/amd64/kpack'), ['--version'], p);
    assert.equal(version.code, 0, version.out);
    assert.match(version.out, new RegExp(`^kpack ${VERSION.replace(/\./g, '\\.')} \\(zlib [0-9.]+\\)`));
    const sample = run(join(p, 'out/amd64/kpack'), ['testdata/sample.txt'], p);
    assert.equal(sample.code, 0, sample.out);
    checkOutput(sample.out);
    const bad = run(join(p, 'out/amd64/kpack'), ['-l', '12', 'testdata/sample.txt'], p);
    assert.equal(bad.code, 2, 'a bad level is a usage error');
    const missing = run(join(p, 'out/amd64/kpack'), ['no-such-file'], p);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /kpack: no-such-file: No such file or directory/);
  });

  it('cross-builds for arm64 and runs under qemu-aarch64-static with the same checksums', (t) => {
    if (!has('aarch64-linux-gnu-gcc') || !has('aarch64-linux-gnu-g++'))
      return t.skip('gcc-aarch64-linux-gnu and g++-aarch64-linux-gnu are needed');
    if (!has('qemu-aarch64-static')) return t.skip('qemu-user-static is needed');
    const p = join(dir, 'p');
    const build = run('make', ['ARCH=arm64', 'TOOLCHAIN=gcc', 'CCACHE='], p);
    if (/zlib\.h: No such file|cannot find -lz/.test(build.out)) return t.skip('zlib1g-dev:arm64 is not installed');
    assert.equal(build.code, 0, build.out);
    const check = run('make', ['check', 'ARCH=arm64', 'TOOLCHAIN=gcc', 'CCACHE='], p);
    assert.equal(check.code, 0, check.out);
    checkOutput(check.out);
    const file = readFileSync(join(p, 'out/arm64/kpack'));
    assert.equal(file.readUInt16LE(18), 183, 'e_machine is EM_AARCH64');
  });

  it('is rejected for the glibc 2.31 targets when linked on a glibc >= 2.34 host', (t) => {
    const p = join(dir, 'p');
    const ldd = spawnSync('ldd', ['--version'], { encoding: 'utf8' });
    const m = /(\d+)\.(\d+)\s*$/m.exec((ldd.stdout ?? '').split('\n')[0]);
    if (!m || Number(m[1]) * 100 + Number(m[2]) < 234) return t.skip('the host glibc is older than 2.34');
    const build = run('make', ['ARCH=amd64', 'TOOLCHAIN=gcc', 'CCACHE='], p);
    if (build.code !== 0) return t.skip(`no host build: ${build.out.slice(-300)}`);
    const r = run(
      process.execPath,
      [kilnBin, 'abi', 'check', 'out/amd64', '--target', 'kylin-desktop-v10-sp1', '--target', 'debian-12'],
      p,
    );
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL\s+kylin-desktop-v10-sp1: needs GLIBC_2\.34 \(from __libc_start_main\)/);
    assert.match(r.out, /ok\s+debian-12/);
  });
});
