// The npm name `kiln` belongs to someone else: the package is published as @kiln-ci/kiln, and no pipeline or
// document installs a bare `kiln` (that would run an unrelated package's code in the user's jobs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_NAME, kilnRoot } from '../../src/util/package-root.js';

const ROOT = join(import.meta.dirname, '..', '..');
const NAME = '@kiln-ci/kiln';

function files(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    if (n === 'node_modules' || n.startsWith('.kiln')) continue;
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(ya?ml|md|sh|toml|json)$/.test(n)) out.push(p);
  }
  return out;
}

test('the package has a scoped name, the same in package.json and the lock file', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    bin: Record<string, string>;
  };
  assert.equal(pkg.name, NAME);
  assert.equal(PACKAGE_NAME, NAME, 'kiln finds its own data/ by this name');
  assert.equal(kilnRoot(), ROOT);
  assert.deepEqual(Object.keys(pkg.bin), ['kiln'], 'the command is still `kiln`');
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    name: string;
    packages: Record<string, { name?: string }>;
  };
  assert.equal(lock.name, NAME);
  assert.equal(lock.packages[''].name, NAME);
});

test('examples and docs install kiln only by its scoped name', () => {
  const bad: string[] = [];
  let installs = 0;
  for (const f of [join(ROOT, 'README.md'), ...files(join(ROOT, 'docs')), ...files(join(ROOT, 'examples'))]) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const m = /\b(?:npm (?:install|i|add)|npx|pnpm add|yarn (?:global )?add)\b(.*)/.exec(line);
        if (!m) return;
        const args = m[1].replace(/[`'"]/g, ' ').split(/\s+/);
        if (args.some((a) => a === 'kiln' || a.startsWith('kiln@')))
          bad.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        if (args.some((a) => a === NAME || a.startsWith(`${NAME}@`))) installs++;
      });
  }
  assert.deepEqual(bad, []);
  assert.ok(installs >= 2, 'the example pipeline and its guide install the scoped package');
});
