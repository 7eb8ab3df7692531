#!/usr/bin/env node
// Job start with submodules against the same tree without them (issue target: <= 1.5x).
// Two projects hold the same FILES files: "flat" has them all in the project, "subs" has them split over SUBS
// submodules (one of them nested). A pipeline of JOBS jobs that only run `true` runs in each, with
// GIT_SUBMODULE_STRATEGY recursive in "subs"; the figure is the per-job time kiln records (workspace included),
// best and median over --runs runs, and the pipeline's wall time (the first job of "subs" also lays the
// submodules into the pipeline's snapshot).
// Usage: node bench/sources/bench.mjs [--runs N] [--files N]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const KILN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/kiln.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 3);
const FILES = arg('--files', 3000);
const SUBS = 6;
const JOBS = 4;
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });

function fill(dir, from, to) {
  for (let i = from; i < to; i++) {
    const d = join(dir, `d${i % 40}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}.c`), `int f${i}(void) { return ${i}; }\n`.repeat(8));
  }
}
function repo(dir, fillFn) {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  fillFn(dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'init');
}
const yaml = (vars) =>
  `variables: ${vars}\n` + Array.from({ length: JOBS }, (_, i) => `j${i}:\n  script: ["true"]\n`).join('');

const root = mkdtempSync(join(tmpdir(), 'kiln-bench-sources-'));
try {
  const per = Math.floor(FILES / (SUBS + 1));
  const flat = join(root, 'flat');
  repo(flat, (d) => {
    fill(d, 0, FILES);
    writeFileSync(join(d, '.gitlab-ci.yml'), yaml('{}'));
  });
  for (let s = 0; s < SUBS; s++) repo(join(root, `sub${s}`), (d) => fill(d, per * (s + 1), per * (s + 2)));
  // sub0 holds sub5 as a nested submodule.
  git(join(root, 'sub0'), '-c', 'protocol.file.allow=always', 'submodule', '-q', 'add', '../sub5', 'nested');
  git(join(root, 'sub0'), 'commit', '-qm', 'nested');
  const subs = join(root, 'subs');
  repo(subs, (d) => {
    fill(d, 0, per);
    writeFileSync(join(d, '.gitlab-ci.yml'), yaml('{ GIT_SUBMODULE_STRATEGY: recursive }'));
  });
  for (let s = 0; s < SUBS - 1; s++)
    git(subs, '-c', 'protocol.file.allow=always', 'submodule', '-q', 'add', `../sub${s}`, `mods/sub${s}`);
  git(subs, 'commit', '-qm', 'subs');
  git(subs, '-c', 'protocol.file.allow=always', 'submodule', '-q', 'update', '--init', '--recursive');

  const measure = (dir) => {
    const walls = [];
    const jobs = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = process.hrtime.bigint();
      const p = spawnSync(process.execPath, [KILN, 'run', '--json', '-j', '1'], { cwd: dir, encoding: 'utf8', env });
      walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (p.status !== 0) throw new Error(`kiln run failed in ${dir}: ${p.stderr}${p.stdout}`);
      const s = JSON.parse(p.stdout);
      for (const j of s.jobs) jobs.push(j.durationMs);
    }
    const sorted = (a) => [...a].sort((x, y) => x - y);
    const med = (a) => sorted(a)[Math.floor(a.length / 2)];
    return { wallBest: sorted(walls)[0], wallMed: med(walls), jobBest: sorted(jobs)[0], jobMed: med(jobs) };
  };
  const a = measure(flat);
  const b = measure(subs);
  const fmt = (x) => `${x.toFixed(0)} ms`;
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ${FILES} files, ${SUBS} submodules (one nested), ${JOBS} jobs, ${RUNS} runs`,
  );
  console.log('| | flat tree | with submodules | ratio |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| job (best) | ${fmt(a.jobBest)} | ${fmt(b.jobBest)} | ${(b.jobBest / a.jobBest).toFixed(2)} |`);
  console.log(`| job (median) | ${fmt(a.jobMed)} | ${fmt(b.jobMed)} | ${(b.jobMed / a.jobMed).toFixed(2)} |`);
  console.log(
    `| pipeline wall (best) | ${fmt(a.wallBest)} | ${fmt(b.wallBest)} | ${(b.wallBest / a.wallBest).toFixed(2)} |`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
