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
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  absWorkingDir: root,
};

rmSync(out, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(out, 'kiln.cjs'),
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
stampBuildId(join(out, 'kiln.cjs'));

await build({
  ...common,
  entryPoints: [join(root, 'src/boot/boot.ts')],
  outfile: join(out, 'boot.cjs'),
});

const made = makeCodeCache(target);
if (!made.ok)
  console.warn(`build: no code cache in ${out}/cache (kiln still works, only starts slower): ${made.reason}`);

/** Replaces the placeholder on the bundle's first line with a hash of the bundle (same length: the map stays valid). */
function stampBuildId(file) {
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith(`// ${PLACEHOLDER}\n`)) throw new Error(`${file}: build id placeholder missing`);
  // `{import('./x.js').T}` is a JSDoc type in a bundled library's comments (re2js), not code.
  if (/(?<!\{)\bimport\s*\(/.test(text.replace(/\/\/.*$/gm, '')))
    throw new Error(`${file}: a dynamic import() is left in the bundle`);
  const id = createHash('sha256').update(text).digest('hex').slice(0, 16);
  writeFileSync(file, text.replace(PLACEHOLDER, `kiln-build:${id}`));
}
