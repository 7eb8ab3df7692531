#!/usr/bin/env node
// Benchmark for `kiln lint` on published pipelines: every pipeline of test/corpus/published/real-world-2 with its
// includes vendored (as test/pipeline/published.test.ts lints them), through the built CLI. Target: each <= 0.5 s
// wall. Prints the slowest, the median and `node -e ''` for scale, with the load average (the machine is shared).
// Usage: node bench/plan/published.mjs [--runs N] [--top N]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const top = Number(args[args.indexOf('--top') + 1]) || 8;
const TARGET = 0.5;
const published = join(root, 'test', 'corpus', 'published');

if (!existsSync(join(root, 'dist', 'kiln.cjs'))) {
  console.log('building dist/ (npm run build)...');
  const b = spawnSync(process.execPath, ['scripts/build.mjs', '--no-check'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(argv, cwd, extraEnv = {}) {
  const walls = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    // A .js through this node (the baseline), kiln through its launcher (bin/kiln) as users run it.
    const launcher = argv[0].endsWith('/bin/kiln');
    last = spawnSync(launcher ? '/bin/sh' : process.execPath, argv, {
      cwd,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
        KILN_FROM_SOURCE: '',
        ...extraEnv,
      },
    });
    walls.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return { min: Math.min(...walls), median: median(walls), status: last.status, out: `${last.stdout}${last.stderr}` };
}

const work = mkdtempSync(join(tmpdir(), 'kiln-bench-published-'));
try {
  console.log(
    `node ${process.version}, ${runs} runs each, wall seconds (min / median); load average ` +
      `${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs`,
  );
  const base = time(['-e', ''], work);
  console.log(`baseline: node -e '' ${base.min.toFixed(3)} / ${base.median.toFixed(3)}`);
  const rows = [];
  for (const name of readdirSync(join(published, 'real-world-2')).sort()) {
    const src = join(published, 'real-world-2', name);
    if (!existsSync(join(src, '.gitlab-ci.yml'))) continue;
    const dir = join(work, name);
    cpSync(src, dir, { recursive: true });
    if (existsSync(join(published, 'vendored', name)))
      cpSync(join(published, 'vendored', name), join(dir, '.kiln-vendor'), { recursive: true });
    if (existsSync(join(published, 'project-files', name)))
      cpSync(join(published, 'project-files', name), dir, { recursive: true });
    spawnSync('git', ['init', '-q', '-b', 'main', dir]);
    // The server the vendored components were fetched for (as test/pipeline/published.test.ts lints them).
    spawnSync('git', ['-C', dir, 'remote', 'add', 'origin', `https://gitlab.example.com/group/${name}.git`]);
    const lint = [join(root, 'bin', 'kiln'), 'lint', '--ref', 'main', '--default-branch', 'main'];
    // Cold (no parsed-file cache: a first run; the target is for this one), then warm (files parsed before).
    const r = time(lint, dir, { KILN_NO_PARSE_CACHE: '1' });
    const xdg = join(dir, '.bench-cache');
    time(lint, dir, { XDG_CACHE_HOME: xdg, KILN_NO_PARSE_CACHE: '' });
    const warm = time(lint, dir, { XDG_CACHE_HOME: xdg, KILN_NO_PARSE_CACHE: '' });
    rows.push({ name, ...r, warm: warm.median, valid: r.status === 0 });
  }
  rows.sort((a, b) => b.median - a.median);
  for (const r of rows.slice(0, top)) {
    console.log(
      `${r.name}: kiln lint ${r.min.toFixed(3)} / ${r.median.toFixed(3)} (warm median ${r.warm.toFixed(3)})` +
        `${r.valid ? '' : ' (errors: needs CI/CD inputs?)'}`,
    );
  }
  const over = rows.filter((r) => r.median > TARGET);
  console.log(
    `${rows.length} pipelines, cold: median of medians ${median(rows.map((r) => r.median)).toFixed(3)} s, slowest ` +
      `${rows[0].median.toFixed(3)} s; target each <= ${TARGET} s: ${over.length ? `${over.length} OVER` : 'ok'}; ` +
      `warm: median ${median(rows.map((r) => r.warm)).toFixed(3)} s, slowest ${Math.max(...rows.map((r) => r.warm)).toFixed(3)} s`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
