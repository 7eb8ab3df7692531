// The import rules of src/ (no cycles, no library file importing cli/, workspace/ not importing run/) hold, and
// the checker does fail on each kind of violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const check = (dir?: string) =>
  spawnSync(process.execPath, ['scripts/check-imports.mjs', ...(dir ? [dir] : [])], { encoding: 'utf8' });

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-imports-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

test('src/ has no import cycles and keeps its layering', () => {
  const r = check();
  assert.equal(r.status, 0, r.stderr);
});

test('a cycle, including one through a type-only or dynamic import, fails the check', async () => {
  const dir = await project({
    'src/a.ts': "import { b } from './b.js';\nexport const a = 1;\n",
    'src/b.ts': "import type { C } from './c/c.js';\nexport const b = 2;\n",
    'src/c/c.ts': "export type C = number;\nexport async function f() { return import('../a.js'); }\n",
  });
  const r = check(dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /import cycle: src\/a\.ts <-> src\/b\.ts <-> src\/c\/c\.ts/);
});

test('a library file importing cli/ and workspace/ importing run/ fail the check', async () => {
  const dir = await project({
    'src/cli/flags.ts': 'export interface Flags { dir: string }\n',
    'src/run/go.ts': "import type { Flags } from '../cli/flags.js';\nexport const go = (f: Flags) => f.dir;\n",
    'src/workspace/copy.ts': "import { go } from '../run/go.js';\nexport const copy = go;\n",
  });
  const r = check(dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /src\/run\/go\.ts imports src\/cli\/flags\.ts \(no library file imports from cli\/\)/);
  assert.match(r.stderr, /src\/workspace\/copy\.ts imports src\/run\/go\.ts/);
});
