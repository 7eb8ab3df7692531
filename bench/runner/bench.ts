#!/usr/bin/env -S npx tsx
// `kiln runner run` benchmark against the coordinator double (test/runner/helpers/coordinator.ts) on loopback:
//   1. per-job overhead with the shell executor: N trivial jobs one after another; each job's time as GitLab sees
//      it (job handed out → final update accepted) minus the job's own work in that same job (git for the sources
//      and the script steps, timed by the runner and reported in --json), so load swings between measurements do
//      not enter the difference; for reference, the same git + bash work done directly;
//   2. 100 trivial jobs with concurrent = 4: jobs per minute.
// Uses the built CLI (npm run build) like users run it. No GitLab Runner can be installed here, so there is no
// side-by-side reference; the target (issue 14) is <= 50 ms of overhead per job.
// Usage: npx tsx bench/runner/bench.ts [--jobs N] [--many M]
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { ROOT, runRunner, scenario } from '../../test/runner/helpers/setup.js';

const args = process.argv.slice(2);
const serialJobs = Number(args[args.indexOf('--jobs') + 1]) || 30;
const manyJobs = Number(args[args.indexOf('--many') + 1]) || 100;
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--no-check'], { cwd: ROOT, stdio: 'ignore' });
if (!existsSync(join(ROOT, 'dist/kiln.cjs'))) throw new Error('kiln build failed');
process.env.KILN_RUNNER_BIN = join(ROOT, 'bin/kiln.js');
log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

// 1. Serial jobs.
const s = await scenario();
const c = s.coordinator;
const jobs = Array.from({ length: serialJobs }, (_, i) => c.enqueue({ name: `t${i}`, script: ['true'] }));
const running = runRunner(s, serialJobs);
const r = await running.done;
if (r.code !== 0) throw new Error(r.stderr);
const byId = new Map(running.outcomes.map((o) => [o.id, o]));
const own = (id: number) => byId.get(id)!.sourcesMs + byId.get(id)!.scriptMs;
const later = jobs.slice(1); // the first pays the process start
const perJob = later.map((j) => j.finishedAt! - j.startedAt!);
const overhead = later.map((j) => j.finishedAt! - j.startedAt! - own(j.id));
const inside = later.map((j) => byId.get(j.id)!.durationMs - own(j.id));
const ownWork = later.map((j) => own(j.id));
const gaps = jobs.slice(1).map((j, i) => j.startedAt! - jobs[i].finishedAt!);

// The same work done directly: a running job's token for the clone, then git + bash as the runner would.
const probe = c.enqueue({ name: 'probe', script: ['true'] });
probe.status = 'running';
const repo = new URL(`/group/app.git`, c.url);
repo.username = 'gitlab-ci-token';
repo.password = probe.token;
// Async: the double answers from this process, so nothing here may block the event loop.
const run = promisify(execFile);
const direct: number[] = [];
const ws = mkdtempSync(join(tmpdir(), 'kiln-bench-direct-'));
const sha = (await run('git', ['ls-remote', repo.toString(), 'refs/heads/main'])).stdout.split('\t')[0];
for (let i = 0; i < serialJobs; i++) {
  const t0 = performance.now();
  const g = (...a: string[]) => run('git', a, { cwd: ws });
  await g('init', '-q');
  await g('remote', 'remove', 'origin').catch(() => undefined);
  await g('remote', 'add', 'origin', repo.toString());
  await g('fetch', '-q', 'origin', '--prune', '--depth=20', '+refs/heads/main:refs/remotes/origin/main');
  await g('checkout', '-f', '-q', sha);
  await g('clean', '-ffdx');
  await run('bash', ['--noprofile', '--norc', '-c', 'set -eo pipefail; true'], { cwd: ws });
  direct.push(performance.now() - t0);
}
rmSync(ws, { recursive: true, force: true });
await c.stop();

// 2. Many jobs, concurrent = 4.
const m = await scenario({}, { concurrent: 4 });
const many = Array.from({ length: manyJobs }, (_, i) => m.coordinator.enqueue({ name: `m${i}`, script: ['true'] }));
const t0 = Date.now();
const r2 = await runRunner(m, manyJobs).done;
if (r2.code !== 0) throw new Error(r2.stderr);
const first = Math.min(...many.map((j) => j.startedAt!));
const last = Math.max(...many.map((j) => j.finishedAt!));
await m.coordinator.stop();

const k = median(perJob);
const d = median(direct);
const rows = [
  ['per job as GitLab sees it (handed out → final update accepted), median', `${k.toFixed(1)} ms`],
  ["  of which the job's own work (git sources + script), median", `${median(ownWork).toFixed(1)} ms`],
  [
    "runner overhead per job (GitLab's view minus own work), median",
    `${median(overhead).toFixed(1)} ms (target <= 50 ms)`,
  ],
  ['  of it inside the runner (job start → final update accepted)', `${median(inside).toFixed(1)} ms`],
  ['for reference: the same git + bash work done directly, median', `${d.toFixed(1)} ms`],
  ['gap between a final update and the next job handed out, median', `${median(gaps).toFixed(1)} ms`],
  [
    `${manyJobs} trivial jobs, concurrent = 4 (first handed out → last accepted)`,
    `${((last - first) / 1000).toFixed(2)} s, ${(manyJobs / ((last - first) / 60000)).toFixed(0)} jobs/min`,
  ],
  [`  same, whole process (start → exit)`, `${((Date.now() - t0) / 1000).toFixed(2)} s`],
];
process.stdout.write(`| measure | value |\n| --- | --- |\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}\n`);
log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
