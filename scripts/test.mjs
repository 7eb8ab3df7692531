#!/usr/bin/env node
// Runs kiln's test suite with Node's built-in test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [substring...]  — only test files whose path contains one of the substrings.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'fixtures' || name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
let files = walk('test', []).sort();
if (filters.length) files = files.filter((f) => filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.KILN_TEST_CONCURRENCY ?? '2';
// Per test file: the .NET flagship (test/flagship/dotnet-aot.test.ts) runs three NativeAOT pipelines, 30-60 min on a
// loaded 2-core machine; its steps carry their own, shorter timeouts.
const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=7200000',
  ...files.map((f) => relative('.', f)),
];
// Every temp dir the tests (and the kiln processes they start) make goes under one TMPDIR for this run, removed
// at the end, so repeated runs never fill the machine's /tmp. KILN_KEEP_TMP=1 keeps it for a post-mortem.
const runTmp = mkdtempSync(join(tmpdir(), 'kiln-test-'));
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, TMPDIR: runTmp } });
if (process.env.KILN_KEEP_TMP) console.error(`test temp files kept in ${runTmp}`);
else rmSync(runTmp, { recursive: true, force: true, maxRetries: 3 });
process.exit(r.status ?? 1);
