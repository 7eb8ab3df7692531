// `kiln jobs` / `kiln lint` stay light: the modules they load statically never reach run/executor/abi/publish code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm;

/** Every source file reachable through static relative imports (dynamic `await import()` is not followed). */
function staticGraph(entries: string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(STATIC_IMPORT)) {
      if (/^\s*import\s+type\s/.test(m[0])) continue;
      visit(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
    }
  };
  entries.forEach((e) => visit(resolve(ROOT, e)));
  return [...seen].map((f) => relative(ROOT, f)).sort();
}

test('the jobs/lint code path does not statically import run, executors, abi, publish or images code', () => {
  const files = staticGraph([
    'src/cli/main.ts',
    'src/cli/main-plan.ts',
    'src/pipeline/load.ts',
    'src/pipeline/format.ts',
    'src/pipeline/options.ts',
  ]);
  assert.ok(files.includes('src/pipeline/yaml/read.ts'), 'the walk follows the loader');
  const heavy = files.filter((f) => /^src\/(run|executors|abi|publish|images|store|runner)\//.test(f));
  assert.deepEqual(heavy, []);
});
