// The built CLI's start-up path (bin/kiln.js → dist/boot.cjs → dist/kiln.cjs with a V8 code cache), on a temp
// copy of kiln built by scripts/build.mjs: every cache problem falls back to a normal start with the same output,
// the launcher works through a symlink, and without dist/ it runs the sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeCacheFile } from '../../src/boot/cache-file.js';
import { build, makeCopy, ROOT } from './helpers/built-copy.js';

const FIXTURE = join(ROOT, 'test', 'pipeline', 'fixtures', 'features', 'rules');
const JOBS = ['jobs', '--json', '--dir', FIXTURE, '--ref', 'main', '--default-branch', 'main'];

function run(bin: string, args: string[], env: Record<string, string | undefined>, nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: undefined, KILN_DEBUG_BOOT: '1', ...env },
  });
  const report = /kiln boot: code cache (\w+)(?: \(([^)]*)\))?(?:; wrote ([^;\n]*))?(?:; v8 flags (\S+))?\n/.exec(
    r.stderr,
  );
  return {
    code: r.status,
    out: r.stdout,
    err: r.stderr,
    state: report?.[1],
    read: report?.[2],
    wrote: report?.[3],
    flags: report?.[4],
  };
}

const fromSource = (() => {
  let out: string | undefined;
  return (): string => {
    out ??= spawnSync(process.execPath, [join(ROOT, 'bin', 'kiln.js'), ...JOBS], {
      encoding: 'utf8',
      env: { ...process.env, KILN_FROM_SOURCE: '1' },
    }).stdout;
    return out;
  };
})();

test("the build makes a code cache that the next run accepts; output equals the sources'", async (t) => {
  const root = makeCopy();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  build(root);
  const caches = readdirSync(join(root, 'dist', 'cache'));
  assert.equal(caches.length, 1);
  const userDir = join(root, 'user-cache');
  const r = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.state, 'accepted');
  assert.equal(r.read, join(root, 'dist', 'cache', caches[0]));
  assert.equal(r.wrote, undefined);
  assert.equal(r.flags, '--no-opt', 'a one-shot command runs without the optimizing compiler');
  assert.equal(r.out, fromSource());
  const other = run(join(root, 'bin', 'kiln.js'), ['--version'], { KILN_CODE_CACHE_DIR: userDir });
  assert.deepEqual(
    [other.out, other.state, other.flags],
    ['0.1.0\n', 'accepted', undefined],
    'the cache made by a one-shot command fits every command',
  );

  await t.test('a damaged cache file is not handed to V8: a normal start, then a fresh cache', () => {
    const file = join(root, 'dist', 'cache', caches[0]);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    const d = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(d.code, 0, d.err);
    assert.equal(d.state, 'missing');
    assert.equal(d.out, fromSource());
    assert.equal(d.wrote, join(userDir, caches[0]));
    const again = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.deepEqual([again.state, again.read], ['accepted', join(userDir, caches[0])]);
  });

  await t.test('a cache V8 rejects (made under other V8 flags) falls back and is replaced', () => {
    // Make a cache under a flag that changes V8's flag hash, then put it where the plain runtime looks.
    const other = join(root, 'other-cache');
    const made = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: other }, [
      '--no-lazy-feedback-allocation',
    ]);
    assert.equal(made.state, 'missing');
    rmSync(userDir, { recursive: true, force: true });
    mkdirSync(userDir);
    copyFileSync(made.wrote!, join(userDir, caches[0]));
    rmSync(join(root, 'dist', 'cache'), { recursive: true, force: true });
    const r2 = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(r2.code, 0, r2.err);
    assert.equal(r2.state, 'rejected');
    assert.equal(r2.out, fromSource());
    assert.equal(r2.wrote, join(userDir, caches[0]));
    assert.equal(run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: userDir }).state, 'accepted');
  });

  await t.test('data that is not a V8 cache, with a valid header, is rejected by V8 and replaced', () => {
    writeFileSync(join(userDir, caches[0]), encodeCacheFile(Buffer.alloc(4096, 7))!);
    const r3 = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(r3.code, 0, r3.err);
    assert.equal(r3.state, 'rejected');
    assert.equal(r3.out, fromSource());
  });

  await t.test('KILN_NO_CODE_CACHE=1 neither reads nor writes a cache', () => {
    const off = join(root, 'off-cache');
    const r4 = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: off, KILN_NO_CODE_CACHE: '1' });
    assert.deepEqual([r4.code, r4.state, r4.wrote], [0, 'off', undefined]);
    assert.equal(r4.out, fromSource());
  });

  await t.test('the launcher works through a symlink (as npm links it), run directly and through node', () => {
    const linkDir = join(root, 'global-bin');
    mkdirSync(linkDir);
    symlinkSync(join(root, 'bin', 'kiln.js'), join(linkDir, 'kiln'));
    const viaNode = run(join(linkDir, 'kiln'), ['--version'], { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(viaNode.code, 0, viaNode.err);
    assert.equal(viaNode.out, '0.1.0\n');
    const direct = spawnSync(join(linkDir, 'kiln'), JOBS, {
      encoding: 'utf8',
      env: {
        ...process.env,
        KILN_FROM_SOURCE: undefined,
        KILN_CODE_CACHE_DIR: userDir,
        PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      },
    });
    assert.equal(direct.status, 0, direct.stderr);
    assert.equal(direct.stdout, fromSource());
  });

  await t.test('without dist/ the launcher runs the sources', () => {
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    const r5 = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(r5.code, 0, r5.err);
    assert.equal(r5.state, undefined, 'no boot report: the sources ran through tsx');
    assert.equal(r5.out, fromSource());
  });
});
