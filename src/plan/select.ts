// Chooses the jobs of a run: the whole pipeline, named jobs (plus their needs with --needs), or a stage.
// Manual jobs run only when played (named, `--manual NAME`, or `--manual` for all); what an unplayed manual job
// holds back is decided by manual.ts.
import type { Job, Pipeline } from '../pipeline/model.js';
import { UsageError } from '../errors.js';
import { holdForManual, type Held } from './manual.js';

export interface SelectOptions {
  /** Job names given on the command line (full names, e.g. "build: [amd64]"), or base names of matrix jobs. */
  names?: string[];
  /** Also run the named jobs' needs, transitively. */
  needs?: boolean;
  /** Only jobs of these stages. */
  stages?: string[];
  /** Play manual jobs: all of them (true) or the named ones (full or base names). */
  manual?: boolean | string[];
  /** Jobs that already finished in the pipeline being continued (`kiln run --pipeline N`): not run again. */
  done?: ReadonlySet<string>;
}

export interface Selection {
  jobs: Job[];
  /** Jobs left out, with the reason (for `--json` and the summary). */
  skipped: { name: string; reason: string }[];
  /** Manual jobs not played and the jobs they hold back (a subset of `skipped`). */
  held: Held[];
  /** Blocking manual jobs not played: the pipeline ends as blocked. */
  blocking: string[];
}

function resolveName(pipeline: Pipeline, name: string): Job[] {
  const exact = pipeline.jobs.filter((j) => j.name === name);
  if (exact.length) return exact;
  // A matrix/parallel job's base name selects all its instances.
  const byBase = pipeline.jobs.filter((j) => j.baseName === name && j.parallel);
  if (byBase.length) return byBase;
  const excluded = pipeline.excluded.find((e) => e.name === name);
  if (excluded) throw new UsageError(`job "${name}" is not created in this pipeline (${excluded.reason})`);
  const known = pipeline.jobs.map((j) => j.name);
  const close = known.filter((k) => k.toLowerCase().includes(name.toLowerCase())).slice(0, 5);
  const hint = close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : '';
  throw new UsageError(`no job named "${name}" in ${pipeline.file}${hint}`);
}

export function selectJobs(pipeline: Pipeline, options: SelectOptions = {}): Selection {
  if (pipeline.workflow && !pipeline.workflow.created) {
    throw new UsageError(
      `workflow:rules: GitLab would not create a pipeline for ref "${pipeline.context.ref}" (${pipeline.workflow.reason}); use --ref or --variable to run another context`,
    );
  }
  const byName = new Map(pipeline.jobs.map((j) => [j.name, j]));
  const chosen = new Set<string>();
  const named = new Set<string>();
  const skipped: { name: string; reason: string }[] = [];

  if (options.stages?.length) {
    for (const s of options.stages) {
      if (!pipeline.stages.includes(s))
        throw new UsageError(`no stage named "${s}" (stages: ${pipeline.stages.join(', ')})`);
    }
  }

  if (options.names?.length) {
    for (const n of options.names) {
      for (const j of resolveName(pipeline, n)) {
        chosen.add(j.name);
        named.add(j.name);
      }
    }
    if (options.needs) {
      const stack = [...chosen];
      while (stack.length) {
        const job = byName.get(stack.pop()!)!;
        const deps =
          job.needs !== null
            ? job.needs.map((n) => n.job)
            : pipeline.jobs.filter((j) => j.stageIndex < job.stageIndex).map((j) => j.name);
        for (const d of deps) {
          if (!byName.has(d) || chosen.has(d)) continue;
          chosen.add(d);
          stack.push(d);
        }
      }
    }
  } else {
    for (const j of pipeline.jobs) chosen.add(j.name);
  }

  const playedNames = new Set(Array.isArray(options.manual) ? options.manual : []);
  for (const n of playedNames) resolveName(pipeline, n);
  const played = (j: Job) =>
    options.manual === true || named.has(j.name) || playedNames.has(j.name) || playedNames.has(j.baseName);
  const candidates: Job[] = [];
  for (const j of pipeline.jobs) {
    if (!chosen.has(j.name)) continue;
    if (options.done?.has(j.name)) continue;
    if (options.stages?.length && !options.stages.includes(j.stage) && !named.has(j.name)) {
      skipped.push({ name: j.name, reason: `not in stage ${options.stages.join(', ')}` });
      continue;
    }
    candidates.push(j);
  }
  const { held, blocking } = holdForManual(candidates, played);
  const heldNames = new Set(held.map((h) => h.name));
  for (const h of held) skipped.push({ name: h.name, reason: h.reason });
  const jobs = candidates.filter((j) => !heldNames.has(j.name));
  if (jobs.length === 0 && held.length === 0)
    throw new UsageError(
      'no jobs to run (every selected job was left out: ' +
        (skipped.map((s) => `${s.name}: ${s.reason}`).join('; ') || 'the pipeline has no jobs') +
        ')',
    );
  return { jobs, skipped, held, blocking };
}
