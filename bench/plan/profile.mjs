#!/usr/bin/env node
// In-process phase timing of loadPipeline on the generated 1000-job pipeline: where the time goes, separate from
// process start-up. Runs the sources through tsx (the bundle exports only the CLI), so "imports" includes
// transpiling. Usage: node bench/plan/profile.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import { bigPipeline } from './generate.mjs';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const src = (p) => pathToFileURL(join(root, 'src', p)).href;
register();
const t0 = performance.now();
const { loadWithContext } = await import(src('pipeline/load.ts'));
const { buildPipelineContext } = await import(src('pipeline/context/predefined.ts'));
const { buildFileContext } = await import(src('pipeline/context/files.ts'));
const t1 = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-prof-'));
try {
  writeFileSync(join(dir, '.gitlab-ci.yml'), bigPipeline());
  const ctx = await buildPipelineContext({ projectDir: dir, ref: 'main', defaultBranch: 'main' });
  const files = await buildFileContext(dir, ctx);
  const t2 = performance.now();
  const runs = [];
  const cpu = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    const c = process.cpuUsage();
    const r = loadWithContext({ projectDir: dir, file: '.gitlab-ci.yml', ctx, files });
    const u = process.cpuUsage(c);
    runs.push(performance.now() - s);
    cpu.push((u.user + u.system) / 1000);
    if (r.errors.length) throw r.errors[0];
  }
  console.log(
    `imports ${(t1 - t0).toFixed(0)} ms, context ${(t2 - t1).toFixed(0)} ms, load (cold, then warm) wall ` +
      runs.map((x) => x.toFixed(0)).join(' / ') +
      ' ms, cpu ' +
      cpu.map((x) => x.toFixed(0)).join(' / ') +
      ' ms',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
