// Renders a loaded Pipeline for `kiln jobs`: a JSON shape comparable to the corpus' expected.json
// ({jobs: {name: {stage, when, needs, ...}}}) and a human-readable table grouped by stage.
import type { Job, Pipeline } from './model.js';

export interface JobSummary {
  stage: string;
  when: string;
  needs: string[] | null;
  allowFailure: boolean;
  image?: string;
  tags: string[];
  matrix?: Record<string, string>;
  rule?: string;
}

export function summarize(j: Job): JobSummary {
  const s: JobSummary = {
    stage: j.stage,
    when: j.when,
    needs: j.needs ? j.needs.map((n) => n.job) : null,
    allowFailure: j.allowFailure.allowed,
    tags: j.tags,
  };
  if (j.image) s.image = j.image.name;
  if (j.parallel?.matrix) s.matrix = j.parallel.matrix;
  if (j.ruleOutcome) s.rule = j.ruleOutcome;
  return s;
}

export function formatJobsJson(p: Pipeline, all: boolean): Record<string, unknown> {
  const jobs: Record<string, JobSummary> = {};
  for (const j of p.jobs) jobs[j.name] = summarize(j);
  const out: Record<string, unknown> = {
    context: { ref: p.context.ref, tag: p.context.isTag, source: p.context.source },
    stages: p.stages,
    jobs,
  };
  if (p.workflowName) out.workflowName = p.workflowName;
  if (p.workflow) out.workflow = p.workflow;
  if (all) out.excluded = Object.fromEntries(p.excluded.map((e) => [e.name, { reason: e.reason }]));
  return out;
}

export function formatJobsText(p: Pipeline, all: boolean): string {
  const lines: string[] = [];
  const ctx = p.context;
  lines.push(
    `pipeline for ${ctx.isTag ? 'tag' : 'branch'} ${ctx.ref} (source ${ctx.source})` +
      (p.workflowName ? ` — ${p.workflowName}` : ''),
  );
  if (p.workflow && !p.workflow.created) {
    lines.push(`no pipeline: ${p.workflow.reason}`);
  }
  for (const stage of p.stages) {
    const jobs = p.jobs.filter((j) => j.stage === stage);
    if (jobs.length === 0) continue;
    lines.push('', `${stage}:`);
    for (const j of jobs) {
      const s = summarize(j);
      const bits = [`when=${s.when}`];
      if (s.allowFailure) bits.push('allow_failure');
      if (s.needs) bits.push(`needs=[${s.needs.join(', ')}]`);
      if (s.image) bits.push(`image=${s.image}`);
      if (s.tags.length) bits.push(`tags=[${s.tags.join(', ')}]`);
      if (s.matrix)
        bits.push(
          `matrix={${Object.entries(s.matrix)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}}`,
        );
      lines.push(`  ${j.name}  ${bits.join(' ')}`);
      if (s.rule) lines.push(`      ${s.rule}`);
    }
  }
  lines.push('', `${p.jobs.length} job${p.jobs.length === 1 ? '' : 's'}`);
  if (all && p.excluded.length) {
    lines.push('', 'not created:');
    for (const e of p.excluded) lines.push(`  ${e.name}  — ${e.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
