// Child pipelines (trigger:include): the child's context and its configuration, loaded like a main file.
// GitLab's rules (parent-child pipelines, trigger:forward):
// - the child runs for the same commit and ref; it is a new pipeline whose CI_PIPELINE_SOURCE is parent_pipeline;
// - the trigger job's YAML variables (its own and the global ones it inherits) are passed down unless
//   forward:yaml_variables is false; the parent's pipeline variables (manual/CLI ones) only with
//   forward:pipeline_variables: true; passed variables are trigger variables in the child (highest precedence);
// - the child's files are the trigger:include items, merged in order like include: items.
import { buildFileContext } from './context/files.js';
import { loadWithContext } from './load.js';
import type { Job, Pipeline, PipelineContext, Variables } from './model.js';
import { resolveVariables } from './variables/expand.js';
import { newMap, toPlain, type YMap } from './yaml/node.js';
import type { ConfigError } from '../errors.js';

/** Where the child's configuration comes from: the include items, or one file an earlier job made. */
export type ChildSource = { kind: 'include' } | { kind: 'artifact'; path: string; text: string };

/** The child pipeline's variables from the trigger job (trigger:forward), values already expanded in the parent. */
export function forwardedVariables(parent: Pipeline, job: Job, extra: Record<string, string> = {}): Variables {
  const t = job.trigger!;
  const out: Variables = {};
  if (t.forward.pipelineVariables) Object.assign(out, parent.context.userVariables);
  if (t.forward.yamlVariables) {
    // Expanded in the parent's context (predefined, dotenv of the trigger's needs); `expand: false` stays raw.
    const values = resolveVariables(job.variables, { ...parent.context.predefined, ...extra });
    for (const [k, def] of Object.entries(job.variables))
      out[k] = { ...def, value: values[k] ?? def.value, expand: false };
  }
  return out;
}

/** The child's context: the parent's commit and ref, a new pipeline id, source parent_pipeline. */
export function childContext(parent: PipelineContext, pipelineId: number, variables: Variables): PipelineContext {
  const predefined = { ...parent.predefined };
  const id = String(pipelineId);
  predefined.CI_PIPELINE_ID = id;
  predefined.CI_PIPELINE_IID = id;
  predefined.CI_PIPELINE_SOURCE = 'parent_pipeline';
  if (predefined.CI_PIPELINE_URL) predefined.CI_PIPELINE_URL = predefined.CI_PIPELINE_URL.replace(/\/\d+$/, `/${id}`);
  predefined.CI_PIPELINE_CREATED_AT = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { ...parent, source: 'parent_pipeline', predefined, userVariables: variables };
}

/**
 * The child's main document from the include items (errors in them point at the trigger job). trigger:inputs are
 * the inputs of the child's configuration: with one include item (that has no include:inputs of its own) they
 * become its include:inputs.
 */
function childMain(job: Job): YMap {
  const t = job.trigger!;
  let items = (t.include ?? []).map((i) => i.node);
  if (t.inputs && items.length === 1 && items[0].kind === 'map' && !items[0].entries.has('inputs')) {
    const only = items[0];
    items = [newMap(only.pos, [...only.entries.values(), { key: 'inputs', keyPos: t.inputs.pos, value: t.inputs }])];
  }
  const pos = items[0]?.pos ?? t.position;
  return newMap(t.position, [{ key: 'include', keyPos: pos, value: { kind: 'seq', items, pos } }]);
}

/** Whether trigger:inputs could not be given to the child (more than one file, or the file has its own inputs). */
export function triggerInputsUnused(job: Job): boolean {
  const t = job.trigger!;
  if (!t.inputs) return false;
  if (t.include?.some((i) => i.artifact)) return false;
  const items = t.include ?? [];
  return !(items.length === 1 && items[0].node.kind === 'map' && !items[0].node.entries.has('inputs'));
}

export async function loadChildPipeline(o: {
  parent: Pipeline;
  job: Job;
  pipelineId: number;
  source: ChildSource;
  variables: Variables;
  vendorDir?: string;
}): Promise<{ pipeline?: Pipeline; errors: ConfigError[] }> {
  const ctx = childContext(o.parent.context, o.pipelineId, o.variables);
  const files = await buildFileContext(o.parent.projectDir, ctx);
  const base = { projectDir: o.parent.projectDir, ctx, files, vendorDir: o.vendorDir };
  if (o.source.kind === 'artifact') {
    // A generated configuration is the child's main file: trigger:inputs fill its spec:inputs.
    const inputs = o.job.trigger!.inputs ? (toPlain(o.job.trigger!.inputs) as Record<string, unknown>) : undefined;
    return loadWithContext({ ...base, file: o.source.path, content: o.source.text, load: { inputs } });
  }
  return loadWithContext({ ...base, file: o.job.position.file, main: { ok: true, map: childMain(o.job) } });
}

/**
 * `kiln lint`: every child configuration made of files in the project (artifact ones exist only once a job ran),
 * checked in a child pipeline's context; errors point into the child's files.
 */
export async function lintChildren(parent: Pipeline, vendorDir?: string, depth = 1): Promise<ConfigError[]> {
  const errors: ConfigError[] = [];
  const seen = new Set<string>();
  for (const job of parent.jobs) {
    const t = job.trigger;
    if (!t?.include?.length || t.include.some((i) => i.artifact)) continue;
    const key = JSON.stringify(t.include.map((i) => i.node.pos));
    if (seen.has(key)) continue; // matrix instances of one trigger job share their files
    seen.add(key);
    const r = await loadChildPipeline({
      parent,
      job,
      pipelineId: Number(parent.context.predefined.CI_PIPELINE_ID) || 1,
      source: { kind: 'include' },
      variables: forwardedVariables(parent, job),
      vendorDir,
    });
    errors.push(...r.errors);
    // Grandchildren too (GitLab nests child pipelines two levels deep).
    if (r.pipeline && depth < 2) errors.push(...(await lintChildren(r.pipeline, vendorDir, depth + 1)));
  }
  return errors;
}
