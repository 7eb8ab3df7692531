// Benchmark for the scheduler alone (issue: stage-based pipelines were quadratic, every job waiting on every job
// of the earlier stages): the time `buildGraph` + `schedule` take for large pipelines of no-op jobs. Jobs come from
// real YAML through the loader (not timed); each attempt resolves at once, so what is measured is the scheduler's
// own work (graph, release, ready queue, records). Target: 5000 jobs in 5 stages <= 0.2 s. Wall time is judged;
// the process CPU time is printed too, as it varies less on a busy machine.
// Usage: node --import tsx bench/schedule/bench.ts [--runs N] [--jobs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.js';
import type { Pipeline } from '../../src/pipeline/model.js';
import { buildGraph } from '../../src/plan/graph.js';
import { schedule } from '../../src/run/schedule/scheduler.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const only = args.includes('--jobs') ? Number(args[args.indexOf('--jobs') + 1]) : undefined;
const STAGES = ['s1', 's2', 's3', 's4', 's5'];

type Shape = 'stages' | 'needs-empty' | 'needs-3';

function yaml(jobs: number, shape: Shape): string {
  const out = [`stages: [${STAGES.join(', ')}]`, ''];
  const perStage = jobs / STAGES.length;
  for (let i = 0; i < jobs; i++) {
    const stage = Math.floor(i / perStage);
    out.push(`j${i}:`, `  stage: ${STAGES[stage]}`, '  script: [":"]');
    if (shape === 'needs-empty') out.push('  needs: []');
    if (shape === 'needs-3' && stage > 0) {
      const base = (stage - 1) * perStage;
      out.push(
        `  needs: [j${base + (i % perStage)}, j${base + ((i + 1) % perStage)}, j${base + ((i + 7) % perStage)}]`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

async function load(dir: string, jobs: number, shape: Shape): Promise<Pipeline> {
  writeFileSync(join(dir, '.gitlab-ci.yml'), yaml(jobs, shape));
  return loadPipeline({ projectDir: dir, ref: 'main', source: 'push', defaultBranch: 'main' });
}

async function once(p: Pipeline): Promise<{ graph: number; schedule: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const graph = buildGraph(p.jobs);
  const t1 = performance.now();
  const res = await schedule(
    graph,
    { runAttempt: async () => ({ exitCode: 0, cancelled: false }) },
    { concurrency: 2 },
  );
  const t2 = performance.now();
  const c = process.cpuUsage(c0);
  if (!res.passed || res.records.size !== p.jobs.length) throw new Error('the benchmark pipeline did not pass');
  return { graph: t1 - t0, schedule: t2 - t1, cpu: (c.user + c.system) / 1000 };
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-schedule-'));
try {
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  console.log(
    `node ${process.version}, ${runs} runs each (min / median ms); load average ` +
      `${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs; concurrency 2, no-op attempts`,
  );
  const cases: [number, Shape, number | undefined][] = [
    [1000, 'stages', undefined],
    [5000, 'stages', 200],
    [5000, 'needs-empty', undefined],
    [5000, 'needs-3', undefined],
  ];
  for (const [jobs, shape, target] of cases) {
    if (only && jobs !== only) continue;
    const p = await load(dir, jobs, shape);
    const totals: number[] = [];
    const cpus: number[] = [];
    let parts = { graph: 0, schedule: 0 };
    for (let i = 0; i < runs; i++) {
      const r = await once(p);
      cpus.push(r.cpu);
      totals.push(r.graph + r.schedule);
      if (r.graph + r.schedule <= Math.min(...totals)) parts = r;
    }
    totals.sort((a, b) => a - b);
    cpus.sort((a, b) => a - b);
    const median = totals[Math.floor(totals.length / 2)];
    const verdict =
      target === undefined
        ? ''
        : median <= target
          ? ` (target <= ${target}: ok)`
          : ` (target <= ${target}: OVER TARGET)`;
    console.log(
      `${String(jobs).padStart(5)} jobs, ${shape.padEnd(11)}: ${totals[0].toFixed(1)} / ${median.toFixed(1)} ms ` +
        `(best: graph ${parts.graph.toFixed(1)}, schedule ${parts.schedule.toFixed(1)}; CPU ${cpus[0].toFixed(0)} / ` +
        `${cpus[Math.floor(cpus.length / 2)].toFixed(0)} ms)${verdict}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
