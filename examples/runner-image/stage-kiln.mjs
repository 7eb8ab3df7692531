#!/usr/bin/env node
// Copies a built kiln into image/kiln (the part of the image's build context that is kiln): bin/, the bundle in
// dist/ (not its V8 code cache, which belongs to the node that built it, nor the source maps, which name the
// builder's paths), data/, package.json, and the production dependencies `npm ls --omit=dev` lists, as real
// files: a checkout's node_modules may be a symlink, and a build context sends links as links, never their target.
// The copy is made in a temp directory next to image/kiln and renamed into place, so a build never sees half of it.
//
//   node stage-kiln.mjs [KILN_ROOT]     KILN_ROOT: a built kiln checkout (default: the one holding this file)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = realpathSync(resolve(process.argv[2] ?? join(here, '..', '..')));
const out = join(here, 'image', 'kiln');
const tmp = `${out}.tmp-${process.pid}`;

for (const f of ['dist/kiln.cjs', 'dist/boot.cjs', 'bin/kiln.js', 'package.json']) {
  if (!existsSync(join(root, f))) {
    console.error(`stage-kiln: ${join(root, f)} is missing: run \`npm run build\` in ${root} first`);
    process.exit(1);
  }
}

rmSync(tmp, { recursive: true, force: true });
mkdirSync(join(tmp, 'dist'), { recursive: true });
cpSync(join(root, 'package.json'), join(tmp, 'package.json'));
cpSync(join(root, 'bin'), join(tmp, 'bin'), { recursive: true });
cpSync(join(root, 'data'), join(tmp, 'data'), { recursive: true, dereference: true });
for (const f of readdirSync(join(root, 'dist'))) {
  if (f.endsWith('.cjs')) cpSync(join(root, 'dist', f), join(tmp, 'dist', f));
}

// npm's own view of the production tree: one absolute path per package, nested ones included.
const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 16 << 20,
})
  .split('\n')
  .filter(Boolean);
let count = 0;
for (const path of listed) {
  const rel = relative(root, path);
  if (rel === '' || !rel.startsWith(`node_modules${sep}`)) continue;
  const from = realpathSync(path);
  // A package's own node_modules holds packages listed separately (or dev-only ones, left out).
  cpSync(from, join(tmp, rel), {
    recursive: true,
    dereference: true,
    filter: (src) => src === from || !relative(from, src).split(sep).includes('node_modules'),
  });
  count++;
}
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
console.error(`stage-kiln: ${relative(process.cwd(), out) || out}: kiln from ${root} with ${count} packages`);
