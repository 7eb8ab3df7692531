// loadPipeline: .gitlab-ci.yml → typed Pipeline. GitLab's order: includes → extends → !reference → default: →
// keyword checks → workflow:rules → jobs (rules/only/except, parallel, matrix) → needs. Pure: reads files and git
// (through the context builder), writes nothing.
import { join, resolve } from 'node:path';
import { ConfigError, ConfigErrors, KilnError } from '../errors.js';
import { readConfigFile, readProjectFile, resolveIncludesFrom } from './compose/include.js';
import { includeVariables } from './compose/include-vars.js';
import type { VendoredInclude } from './compose/vendored.js';
import { applyDefaults, collectDefaults } from './compose/defaults.js';
import { resolveExtends } from './compose/extends.js';
import { resolveReferences } from './compose/reference.js';
import { dropUnspecified } from './compose/unspecified.js';
import { buildFileContext } from './context/files.js';
import { buildPipelineContext } from './context/predefined.js';
import { createInstances, type Created } from './create/instances.js';
import { buildIndex, findNeedCycles, resolveNeeds } from './create/needs.js';
import { checkNeedsLimit } from './create/needs-limit.js';
import type { AutoCancelSpec, ExcludedJob, Pipeline, PipelineContext, Variables } from './model.js';
import { evaluateRules } from './rules/evaluate.js';
import type { FileContext, RuleSpec } from './rules/types.js';
import { Problems } from './keywords/check.js';
import { readJob, type JobDef } from './keywords/job.js';
import { checkTriggerJobKeys } from './keywords/trigger.js';
import { checkJobName } from './keywords/job-name.js';
import { isHidden, isJobKey, readStages, readWorkflow } from './keywords/top.js';
import { resolveAutoCancel } from './keywords/auto-cancel.js';
import { readVariables } from './keywords/variables.js';
import { expandString, resolveVariables } from './variables/expand.js';
import type { YMap } from './yaml/node.js';

export interface LoadOptions {
  projectDir: string;
  /** Relative to projectDir; default .gitlab-ci.yml. */
  file?: string;
  ref?: string;
  tag?: boolean;
  source?: string;
  defaultBranch?: string;
  /** Merge request pipelines: the target branch (default: the default branch). */
  targetBranch?: string;
  /** Push pipelines: CI_COMMIT_BEFORE_SHA (default: the branch's upstream, else zeros as for a new branch). */
  beforeSha?: string;
  /** User variables, highest precedence. */
  variables?: Variables;
  projectUrl?: string;
  /** The GitLab server (kiln.toml gitlab.url), for CI_SERVER_* and `include:component` on $CI_SERVER_FQDN. */
  serverUrl?: string;
  pipelineId?: number;
  /** Folder of vendored remote/project/template/component includes, relative to projectDir (default .kiln-vendor). */
  vendorDir?: string;
  /** Inputs for the main file's `spec:inputs` (typed values, e.g. from an inputs file); defaults otherwise. */
  inputs?: Record<string, unknown>;
  /** Inputs from the command line (`--input name=value`): text, read as the type each input declares. */
  cliInputs?: Record<string, string>;
  /** The command that vendors this pipeline's includes, quoted in "not vendored" errors (default `kiln vendor`). */
  vendorCommand?: string;
  /** Receives the remote/project/template/component includes that are not vendored (what `kiln vendor` fetches). */
  missing?: VendoredInclude[];
  /** Masked variable names (interpolation's expand_vars refuses them). */
  masked?: string[];
  /** Follow every include whatever its include:rules say (`kiln vendor` fetches the includes of every context). */
  allIncludes?: boolean;
}

/** Loads the pipeline or throws ConfigError (one problem) / ConfigErrors (several). */
export async function loadPipeline(options: LoadOptions): Promise<Pipeline> {
  const { pipeline, errors } = await loadCollecting(options);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
  return pipeline!;
}

/** Every problem found (empty when the file is valid in this context). */
export async function lintPipeline(options: LoadOptions): Promise<ConfigError[]> {
  return (await loadCollecting(options)).errors;
}

export async function loadCollecting(options: LoadOptions): Promise<{ pipeline?: Pipeline; errors: ConfigError[] }> {
  const projectDir = resolve(options.projectDir);
  const rel = (options.file ?? '.gitlab-ci.yml').replace(/^\.\//, '');
  // The context's git queries start here and run in a child process while the main file is parsed below; a
  // context error (a bad --source) still wins over a problem in the file, as when the two ran one after the other.
  const pending = buildPipelineContext({
    projectDir,
    ref: options.ref,
    tag: options.tag,
    source: options.source,
    defaultBranch: options.defaultBranch,
    targetBranch: options.targetBranch,
    beforeSha: options.beforeSha,
    pipelineId: options.pipelineId,
    projectUrl: options.projectUrl,
    serverUrl: options.serverUrl,
    userVariables: options.variables,
  });
  const main = readMain(projectDir, rel, options);
  const ctx = await pending;
  const files = await buildFileContext(projectDir, ctx);
  return loadWithContext({ projectDir, file: rel, ctx, files, vendorDir: options.vendorDir, main, load: options });
}

/** What loading takes besides the context: the main file's inputs and the include settings. */
type LoadExtras = Pick<LoadOptions, 'inputs' | 'cliInputs' | 'vendorCommand' | 'missing' | 'masked' | 'allIncludes'>;

/**
 * The main file read ahead of the context, or what reading it threw (thrown again where build() reads it), or
 * nothing when it must wait for the context (its interpolation expands variables).
 */
type ReadMain = { ok: true; map: YMap } | { ok: false; error: unknown };

function readMain(projectDir: string, rel: string, extras: LoadExtras): ReadMain | undefined {
  let text: string;
  try {
    text = readProjectFile(projectDir, rel).text;
  } catch (error) {
    return { ok: false, error };
  }
  if (text.includes('expand_vars')) return undefined;
  try {
    return { ok: true, map: readConfigFile(projectDir, rel, undefined, [], text, mainFileOptions(extras, {})) };
  } catch (error) {
    return { ok: false, error };
  }
}

function mainFileOptions(extras: LoadExtras, vars: Record<string, string>) {
  const masked = new Set(extras.masked ?? []);
  return { inputs: extras.inputs, cliInputs: extras.cliInputs, env: { variable: (n: string) => vars[n], masked } };
}

/** The synchronous part of loading, for a context built once (tests, fuzzing); `content` replaces the main file. */
export function loadWithContext(o: {
  projectDir: string;
  file: string;
  ctx: PipelineContext;
  files: FileContext;
  content?: string;
  vendorDir?: string;
  main?: ReadMain;
  load?: LoadExtras;
}): { pipeline?: Pipeline; errors: ConfigError[] } {
  const p = new Problems();
  try {
    const pipeline = build(o, p);
    return { pipeline, errors: dedupe(p.errors) };
  } catch (err) {
    if (err instanceof ConfigError) return { errors: dedupe([...p.errors, err]) };
    if (err instanceof ConfigErrors) return { errors: dedupe([...p.errors, ...err.errors]) };
    throw err;
  }
}

function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.message) && seen.add(e.message));
}

function pipelineVars(ctx: PipelineContext, globals: Variables): Record<string, string> {
  return resolveVariables({ ...globals, ...ctx.userVariables }, ctx.predefined);
}

function build(
  o: {
    projectDir: string;
    file: string;
    ctx: PipelineContext;
    files: FileContext;
    content?: string;
    vendorDir?: string;
    main?: ReadMain;
    load?: LoadExtras;
  },
  p: Problems,
): Pipeline | undefined {
  const { projectDir, file: rel, ctx, files } = o;
  const extras = o.load ?? {};
  const incVars = includeVariables(ctx);
  if (o.main && !o.main.ok) throw o.main.error;
  const main = o.main?.ok
    ? o.main.map
    : readConfigFile(projectDir, rel, undefined, [], o.content, mainFileOptions(extras, incVars));
  // include:rules see predefined, user and the main file's global variables.
  const mainVarsNode = main.entries.get('variables')?.value;
  const mainGlobals = mainVarsNode ? readVariables(new Problems(), mainVarsNode, ['variables']) : {};
  const includeVars = pipelineVars(ctx, mainGlobals);
  const includeByRules = (rules: RuleSpec[]): boolean => {
    if (extras.allIncludes) return true;
    try {
      const out = evaluateRules(rules, includeVars, files);
      return out.matched && out.when !== 'never';
    } catch (err) {
      if (err instanceof KilnError) return false; // the bad expression was reported when the rules were read
      throw err;
    }
  };
  let root = resolveIncludesFrom(
    {
      projectDir,
      problems: p,
      includeByRules,
      vendorDir: o.vendorDir,
      variables: incVars,
      masked: new Set(extras.masked ?? []),
      vendorCommand: extras.vendorCommand,
      missing: extras.missing,
    },
    main,
  );
  // GitLab stops at include errors: the configuration is incomplete, so anything found in it now (undefined jobs,
  // stages, extends of the missing file) would only be a consequence.
  if (p.errors.length) return undefined;
  root = resolveExtends(root, p, isJobKey);
  root = resolveReferences(root, p);

  const stages = readStages(p, root);
  const varsNode = root.entries.get('variables')?.value;
  let globals = varsNode ? readVariables(p, varsNode, ['variables']) : {};
  const workflow = readWorkflow(p, root);
  const defaults = collectDefaults(root, p);

  const defs: JobDef[] = [];
  const definedBases: string[] = [];
  const invalid: string[] = [];
  for (const e of root.entries.values()) {
    if (!isJobKey(e.key) || isHidden(e.key)) continue;
    if (!checkJobName(p, e.key, e.keyPos)) continue;
    if (e.value.kind !== 'map') {
      p.push(new ConfigError('config should be a hash', e.value.pos, ['jobs', e.key]));
      continue;
    }
    definedBases.push(e.key);
    checkTriggerJobKeys(p, e.value, ['jobs', e.key]);
    const job = applyDefaults(dropUnspecified(e.value), defaults, p, ['jobs', e.key]);
    const before = p.errors.length;
    const def = readJob(p, e.key, job);
    if (p.errors.length > before) {
      // Reported already; do not evaluate a broken job (and do not report needs on it as missing).
      invalid.push(e.key);
      continue;
    }
    if (!stages.includes(def.stage)) {
      p.add(
        def.stageNode ?? job,
        ['jobs', e.key, 'stage'],
        `chosen stage "${def.stage}" does not exist; available stages are ${stages.join(', ')}`,
      );
      invalid.push(e.key);
      continue;
    }
    defs.push(def);
  }
  if (definedBases.length === 0) p.add(root, [], 'jobs config should contain at least one visible job');

  const pipeline: Pipeline = {
    file: resolve(projectDir, rel),
    projectDir,
    stages,
    variables: globals,
    workflowName: workflow.name,
    context: ctx,
    jobs: [],
    excluded: [],
    autoCancel: resolveAutoCancel(workflow.autoCancel),
  };

  // workflow:rules decide whether there is a pipeline at all.
  if (workflow.rules && p.errors.length === 0) {
    const out = evaluateWorkflow(workflow.rules, pipelineVars(ctx, globals), files, p);
    pipeline.workflow = { created: out.created, reason: out.reason };
    pipeline.autoCancel = resolveAutoCancel(workflow.autoCancel, out.autoCancel);
    if (!out.created) return pipeline;
    if (out.variables) {
      globals = { ...globals, ...out.variables };
      pipeline.variables = globals;
    }
  }
  if (workflow.name) {
    const vars = pipelineVars(ctx, globals);
    pipeline.workflowName = expandString(workflow.name, (n) => vars[n]);
  }

  let nextId = (ctx.predefined.CI_PIPELINE_ID ? Number(ctx.predefined.CI_PIPELINE_ID) || 1 : 1) * 1000;
  const env = { ctx, files, stages, globals, problems: p, nextJobId: () => ++nextId, workflowRules: !!workflow.rules };
  const created: Created[] = [];
  const excluded: ExcludedJob[] = [];
  const excludedBases: string[] = [];
  for (const def of defs) {
    const r = createInstances(env, def);
    created.push(...r.created);
    excluded.push(...r.excluded);
    if (r.created.length === 0) excludedBases.push(def.name);
  }
  const idx = buildIndex(created, excluded, definedBases, excludedBases, invalid);
  checkNeedsLimit(created, defs, p);
  resolveNeeds(created, idx, p);
  findNeedCycles(created, p);
  pipeline.jobs = created.map((c) => c.job);
  pipeline.excluded = excluded;
  return pipeline;
}

function evaluateWorkflow(
  rules: RuleSpec[],
  vars: Record<string, string>,
  files: FileContext,
  p: Problems,
): { created: boolean; reason: string; variables?: Variables; autoCancel?: AutoCancelSpec } {
  try {
    const out = evaluateRules(rules, vars, files);
    if (!out.matched) return { created: false, reason: `workflow:rules: ${out.explanation}` };
    if (out.when === 'never') return { created: false, reason: `workflow:rules: ${out.explanation} (when: never)` };
    return {
      created: true,
      reason: `workflow:rules: ${out.explanation}`,
      variables: out.rule?.variables,
      autoCancel: out.rule?.autoCancel,
    };
  } catch (err) {
    if (!(err instanceof KilnError)) throw err;
    p.push(err instanceof ConfigError ? err : new ConfigError(err.message, rules[0]?.position, ['workflow', 'rules']));
    return { created: false, reason: 'workflow:rules could not be evaluated' };
  }
}
