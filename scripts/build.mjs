#!/usr/bin/env node
// Builds dist/: type-checks the sources with tsc, bundles the CLI with esbuild into one CommonJS file
// (dist/kiln.cjs, stamped with a build id on its first line) plus the small loader that runs it with V8's code
// cache (dist/boot.cjs), then makes that cache for the node running the build (scripts/code-cache.mjs).
// Usage: node scripts/build.mjs [--no-check] [--root DIR]
// --root builds DIR/dist for the kiln copy at DIR (its bin/kiln.js makes the cache); tests use a temp copy.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCodeCache } from './code-cache.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const target = args.includes('--root') ? resolve(args[args.indexOf('--root') + 1]) : root;
const out = join(target, 'dist');

const check = args.includes('--no-check')
  ? { status: 0 }
  : spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--noEmit'],
      { stdio: 'inherit' },
    );
if (check.status !== 0) process.exit(check.status ?? 1);

const PLACEHOLDER = 'kiln-build:0000000000000000';
const RELEASE_PLACEHOLDER = 'kiln-release:0000000000000000';
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  absWorkingDir: root,
};

rmSync(out, { recursive: true, force: true });
// Two bundles of the same sources: kiln.cjs has every command, kiln-plan.cjs only `jobs` and `lint` (about 40 %
// smaller, so the commands run most often start faster). src/boot/bundle.ts picks one per command.
for (const [entry, file] of [
  ['src/cli/main.ts', 'kiln.cjs'],
  ['src/cli/main-plan.ts', 'kiln-plan.cjs'],
]) {
  await build({
    ...common,
    entryPoints: [join(root, entry)],
    outfile: join(out, file),
    sourcemap: true,
    // dockerode pulls optional native modules; openpgp is large and only needed to sign. Both stay in node_modules.
    external: ['dockerode', 'openpgp'],
    // import() becomes require(): the bundle runs as a vm.Script, which has no ES module loader to call.
    supported: { 'dynamic-import': false },
    // The sources are ES modules (strict), and package-root.ts finds kiln's directory from import.meta.url.
    banner: {
      js: `// ${PLACEHOLDER}\n"use strict";\nconst __kilnImportMetaUrl = require("node:url").pathToFileURL(__filename).href;`,
    },
    define: { 'import.meta.url': '__kilnImportMetaUrl' },
  });
}
// The release id, shared by both bundles (src/util/build-id.ts: what is cached across commands is keyed by it):
// the full bundle's hash, which covers every source file.
const release = hashOf(readFileSync(join(out, 'kiln.cjs'), 'utf8'));
for (const file of ['kiln.cjs', 'kiln-plan.cjs']) stampBuildId(join(out, file), release);

await build({
  ...common,
  entryPoints: [join(root, 'src/boot/boot.ts')],
  outfile: join(out, 'boot.cjs'),
});

const made = makeCodeCache(target);
if (!made.ok)
  console.warn(`build: no code cache in ${out}/cache (kiln still works, only starts slower): ${made.reason}`);

function hashOf(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Replaces the placeholder on the bundle's first line with a hash of the bundle, and the release placeholder with
 * `release` (same lengths: the source map stays valid).
 */
function stampBuildId(file, release) {
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith(`// ${PLACEHOLDER}\n`)) throw new Error(`${file}: build id placeholder missing`);
  // boot.ts reads the bundle as latin1 (one byte per character, no UTF-8 decoding): that is only the same text
  // when the bundle is ASCII. esbuild escapes strings; a regex literal or a kept comment may still carry UTF-8.
  const wide = /[^\x00-\x7f]/.exec(text);
  if (wide) {
    const line = text.slice(0, wide.index).split('\n').length;
    throw new Error(`${file}:${line}: non-ASCII character ${JSON.stringify(wide[0])} (write it as a \\u escape)`);
  }
  // `{import('./x.js').T}` is a JSDoc type in a bundled library's comments (re2js), not code.
  if (/(?<!\{)\bimport\s*\(/.test(text.replace(/\/\/.*$/gm, '')))
    throw new Error(`${file}: a dynamic import() is left in the bundle`);
  const stamped = text.replace(PLACEHOLDER, `kiln-build:${hashOf(text)}`);
  if (!stamped.includes(RELEASE_PLACEHOLDER)) throw new Error(`${file}: release id placeholder missing`);
  writeFileSync(file, stamped.replaceAll(RELEASE_PLACEHOLDER, `kiln-release:${release}`));
}
