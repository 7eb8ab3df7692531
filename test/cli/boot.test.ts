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

/** Runs `bin`: the `kiln` launcher (bin/kiln, a shell script, with this node first on PATH) or a .js through node. */
function run(bin: string, args: string[], env: Record<string, string | undefined>, nodeArgs: string[] = []) {
  const launcher = !bin.endsWith('.js');
  const r = spawnSync(
    launcher ? '/bin/sh' : process.execPath,
    launcher ? [bin, ...args] : [...nodeArgs, bin, ...args],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
        KILN_FROM_SOURCE: undefined,
        KILN_DEBUG_BOOT: '1',
        ...env,
      },
    },
  );
  const report =
    /kiln boot: code cache (\w+)(?: \(([^)]*)\))?(?:; wrote ([^;\n]*))?(?:; v8 flags ([^;\s]+))?; bundle (\S+)\n/.exec(
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
    bundle: report?.[5],
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

function cacheOf(root: string, bundle: string): string {
  const id = /^\/\/ kiln-build:([0-9a-f]{16})\n/.exec(readFileSync(join(root, 'dist', bundle), 'latin1'))![1];
  const names = readdirSync(join(root, 'dist', 'cache')).filter((n) => n.startsWith(`kiln-${id}-`));
  assert.equal(names.length, 1, `one cache for ${bundle}`);
  return names[0];
}

test("the build makes a code cache per bundle that the next run accepts; output equals the sources'", async (t) => {
  const root = makeCopy();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  build(root);
  assert.equal(readdirSync(join(root, 'dist', 'cache')).length, 2, 'kiln.cjs and kiln-plan.cjs each have one');
  const caches = [cacheOf(root, 'kiln-plan.cjs')];
  const planModules = [...readFileSync(join(root, 'dist', 'kiln-plan.cjs'), 'latin1').matchAll(/^\/\/ (src\/\S+)$/gm)];
  assert.ok(
    planModules.some((m) => m[1] === 'src/pipeline/load.ts'),
    'the plan bundle loads pipelines',
  );
  assert.deepEqual(
    planModules
      .map((m) => m[1])
      .filter((f) => /^src\/(run|executors|abi|publish|images|store|runner|workspace)\//.test(f)),
    [],
    'the plan bundle leaves out the code of the other commands',
  );
  const userDir = join(root, 'user-cache');
  const r = run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.state, 'accepted');
  assert.equal(r.bundle, 'kiln-plan.cjs', '`kiln jobs` runs the plan bundle');
  assert.equal(r.read, join(root, 'dist', 'cache', caches[0]));
  assert.equal(r.wrote, undefined);
  assert.equal(r.flags, '--no-opt', 'a one-shot command runs without the optimizing compiler');
  assert.equal(r.out, fromSource());
  const direct = run(join(root, 'bin', 'kiln.js'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
  assert.deepEqual(
    [direct.code, direct.state, direct.out],
    [0, 'missing', r.out],
    "`node bin/kiln.js` runs without the launcher's heap flag: the same output, its own code cache",
  );
  const full = run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: userDir, KILN_FULL_BUNDLE: '1' });
  assert.deepEqual(
    [full.bundle, full.state, full.read],
    ['kiln.cjs', 'accepted', join(root, 'dist', 'cache', cacheOf(root, 'kiln.cjs'))],
  );
  assert.equal(full.out, r.out, 'both bundles print the same jobs');
  const other = run(join(root, 'bin', 'kiln'), ['--version'], { KILN_CODE_CACHE_DIR: userDir });
  assert.deepEqual(
    [other.out, other.state, other.flags, other.bundle],
    ['0.1.0\n', 'accepted', undefined, 'kiln.cjs'],
    "the full bundle's cache, made from a one-shot command, fits every command",
  );
  for (const [args, bundle] of [
    [['lint', '--help'], 'kiln-plan.cjs'],
    [['--debug', 'lint', '--help'], 'kiln-plan.cjs'],
    [['run', '--help'], 'kiln.cjs'],
    [['help', 'jobs'], 'kiln.cjs'],
  ] as const) {
    const h = run(join(root, 'bin', 'kiln'), [...args], { KILN_CODE_CACHE_DIR: userDir });
    assert.deepEqual([h.code, h.bundle], [0, bundle], args.join(' '));
  }
  const lintHelp = (env: Record<string, string>) =>
    run(join(root, 'bin', 'kiln'), ['lint', '--help'], { KILN_CODE_CACHE_DIR: userDir, ...env }).out;
  assert.equal(lintHelp({}), lintHelp({ KILN_FULL_BUNDLE: '1' }), 'the same help from both bundles');

  await t.test('a damaged cache file is not handed to V8: a normal start, then a fresh cache', () => {
    const file = join(root, 'dist', 'cache', caches[0]);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    const d = run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(d.code, 0, d.err);
    assert.equal(d.state, 'missing');
    assert.equal(d.out, fromSource());
    assert.equal(d.wrote, join(userDir, caches[0]));
    const again = run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
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
    const r2 = run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(r2.code, 0, r2.err);
    assert.equal(r2.state, 'rejected');
    assert.equal(r2.out, fromSource());
    assert.equal(r2.wrote, join(userDir, caches[0]));
    assert.equal(run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: userDir }).state, 'accepted');
  });

  await t.test('data that is not a V8 cache, with a valid header, is rejected by V8 and replaced', () => {
    writeFileSync(join(userDir, caches[0]), encodeCacheFile(Buffer.alloc(4096, 7))!);
    const r3 = run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(r3.code, 0, r3.err);
    assert.equal(r3.state, 'rejected');
    assert.equal(r3.out, fromSource());
  });

  await t.test('KILN_NO_CODE_CACHE=1 neither reads nor writes a cache', () => {
    const off = join(root, 'off-cache');
    const r4 = run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: off, KILN_NO_CODE_CACHE: '1' });
    assert.deepEqual([r4.code, r4.state, r4.wrote], [0, 'off', undefined]);
    assert.equal(r4.out, fromSource());
  });

  await t.test('the launcher works through a symlink (as npm links it), run directly and through node', () => {
    const linkDir = join(root, 'global-bin');
    mkdirSync(linkDir);
    symlinkSync(join(root, 'bin', 'kiln'), join(linkDir, 'kiln'));
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
    const r5 = run(join(root, 'bin', 'kiln'), JOBS, { KILN_CODE_CACHE_DIR: userDir });
    assert.equal(r5.code, 0, r5.err);
    assert.equal(r5.state, undefined, 'no boot report: the sources ran through tsx');
    assert.equal(r5.out, fromSource());
  });
});
