#!/usr/bin/env node
// kiln entry point: runs the bundled CLI from dist/ (through dist/boot.cjs, which adds V8's code cache), or the
// TypeScript sources through tsx in a checkout that has not been built yet. CommonJS on purpose (bin/package.json):
// an ES module entry would make every `kiln` call start Node's ES module loader first.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// Node resolves the symlinks of the main script, so __dirname is the real bin/ even when called through npm's link.
const root = join(__dirname, '..');
const boot = join(root, 'dist', 'boot.cjs');
if (!process.env.KILN_FROM_SOURCE && existsSync(boot) && existsSync(join(root, 'dist', 'kiln.cjs'))) {
  require(boot).boot(root, process.argv);
} else {
  const { pathToFileURL } = require('node:url');
  (async () => {
    const { register } = await import('tsx/esm/api');
    register();
    const { main } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
    await main(process.argv);
  })();
}
