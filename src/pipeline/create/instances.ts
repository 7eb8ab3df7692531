// Turns a JobDef into the jobs GitLab would create in this context: one per parallel/matrix instance, each decided
// by rules (or only/except), with rules:variables/when/allow_failure/needs/start_in applied.
import { ConfigError, KilnError } from '../../errors.js';
import { jobPredefined } from '../context/predefined.js';
import type { AllowFailureSpec, ExcludedJob, Job, PipelineContext, Variables, When } from '../model.js';
import { evaluateRules } from '../rules/evaluate.js';
import { evaluateOnlyExcept } from '../rules/only-except.js';
import type { FileContext, OnlyExceptSpec } from '../rules/types.js';
import type { Problems } from '../keywords/check.js';
import { parseDuration } from '../keywords/fields.js';
import type { JobDef } from '../keywords/job.js';
import { readNeeds, type NeedRef } from '../keywords/needs.js';
import { instancesOf } from '../keywords/parallel.js';
import { resolveVariables } from '../variables/expand.js';
import { settleCachePolicies } from './cache-policy.js';
import { dict, hasEntry } from '../../util/dict.js';

export interface CreateEnv {
  ctx: PipelineContext;
  files: FileContext;
  stages: string[];
  /** Global YAML variables (after workflow:rules:variables). */
  globals: Variables;
  problems: Problems;
  nextJobId: () => number;
  /** The pipeline has `workflow:rules`: jobs without only/except/rules then get no default refs policy. */
  workflowRules?: boolean;
  /** Predefined + global + user variables, expanded once per pipeline (see pipelineView). */
  view?: PipelineView;
}

interface PipelineView {
  resolved: Record<string, string>;
  user: Set<string>;
  globals: Set<string>;
}

function pipelineView(env: CreateEnv): PipelineView {
  env.view ??= {
    resolved: resolveVariables({ ...env.globals, ...env.ctx.userVariables }, env.ctx.predefined),
    user: new Set(Object.keys(env.ctx.userVariables)),
    globals: new Set(Object.keys(env.globals)),
  };
  return env.view;
}

/** Names jobPredefined can set (computed only when a rule or job variable refers to one). */
const JOB_LEVEL = /^CI_(JOB_|NODE_)/;
const NAME_RE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

/** Variable names a job's rules/only/except can look at (only these are materialised for evaluation). */
function namesReferenced(def: JobDef): string[] {
  const text = JSON.stringify([def.rules ?? null, def.only ?? null, def.except ?? null]);
  return [...new Set([...text.matchAll(NAME_RE)].map((m) => m[1]))];
}

/**
 * The variables a job's rules see, without copying every predefined variable per job: user > job (own, matrix)
 * > global (per inherit:variables) > job-level predefined > pipeline predefined.
 */
function ruleVariables(
  env: CreateEnv,
  def: JobDef,
  own: Variables,
  jobPreOf: () => Record<string, string>,
  names: string[],
): Record<string, string | undefined> {
  let cached: Record<string, string> | undefined;
  const jobPre = (): Record<string, string> => (cached ??= jobPreOf());
  const view = pipelineView(env);
  const inherit = def.inheritVariables;
  const globalOk = (n: string) =>
    view.globals.has(n) && (inherit === true || (Array.isArray(inherit) && inherit.includes(n)));
  const outer = (n: string): string | undefined => {
    if (view.user.has(n) || globalOk(n)) return view.resolved[n];
    if (JOB_LEVEL.test(n) && Object.prototype.hasOwnProperty.call(jobPre(), n)) return jobPre()[n];
    return Object.prototype.hasOwnProperty.call(env.ctx.predefined, n) ? env.ctx.predefined[n] : undefined;
  };
  const ownNames = Object.keys(own);
  let ownResolved: Record<string, string> | undefined;
  if (ownNames.length && !ownNames.some((n) => own[n].expand && own[n].value.includes('$'))) {
    ownResolved = dict();
    for (const n of ownNames) ownResolved[n] = own[n].value;
  } else if (ownNames.length) {
    const base: Record<string, string> = dict();
    for (const d of Object.values(own)) {
      for (const m of d.value.matchAll(NAME_RE)) {
        const v = outer(m[1]);
        if (v !== undefined) base[m[1]] = v;
      }
    }
    ownResolved = resolveVariables(own, base);
  }
  const out: Record<string, string | undefined> = dict();
  for (const n of names) {
    const v = view.user.has(n)
      ? view.resolved[n]
      : Object.prototype.hasOwnProperty.call(own, n)
        ? ownResolved?.[n]
        : outer(n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** A created job plus the needs as written (resolved to concrete names in needs.ts). */
export interface Created {
  job: Job;
  def: JobDef;
  needRefs: NeedRef[] | null;
}

const DEFAULT_ONLY = (def: JobDef): OnlyExceptSpec => ({
  position: def.position,
  refs: ['branches', 'tags'],
  variables: [],
  changes: [],
});

export function inheritedGlobals(globals: Variables, inherit: boolean | string[]): Variables {
  if (inherit === true) return globals;
  if (inherit === false) return dict();
  const out: Variables = dict();
  for (const k of inherit) if (hasEntry(globals, k)) out[k] = globals[k];
  return out;
}

/** A lookup of the job's variables as its script would see them (computed only when asked). */
function lookupJobVariable(
  env: CreateEnv,
  variables: Variables,
  jobPre: () => Record<string, string>,
): (name: string) => string | undefined {
  let all: Record<string, string> | undefined;
  return (name) => {
    all ??= resolveVariables({ ...variables, ...env.ctx.userVariables }, { ...env.ctx.predefined, ...jobPre() });
    return Object.prototype.hasOwnProperty.call(all, name) ? all[name] : undefined;
  };
}

export function createInstances(env: CreateEnv, def: JobDef): { created: Created[]; excluded: ExcludedJob[] } {
  const created: Created[] = [];
  const excluded: ExcludedJob[] = [];
  const stageIndex = env.stages.indexOf(def.stage);
  const names = namesReferenced(def);
  const inherited = inheritedGlobals(env.globals, def.inheritVariables);
  for (const inst of instancesOf(def.name, def.parallel)) {
    let own = def.variables;
    if (inst.parallel?.matrix) {
      own = dict(def.variables);
      for (const [k, v] of Object.entries(inst.parallel.matrix)) own[k] = { value: v, expand: true };
    }
    const jobVars: Variables = dict(inherited, own);
    const jobId = env.nextJobId();
    const jobPre = () => jobPredefined(env.ctx, { name: inst.name, stage: def.stage, parallel: inst.parallel }, jobId);
    const vars = names.length ? ruleVariables(env, def, own, jobPre, names) : {};

    let when: When = def.when ?? 'on_success';
    let allowFailure: AllowFailureSpec | undefined = def.allowFailure;
    let needRefs = def.needs;
    let startIn = def.startIn;
    let interruptible = def.interruptible;
    let variables = jobVars;
    let ruleOutcome: string | undefined;
    let manualFromRule = false;
    try {
      if (def.rules) {
        const out = evaluateRules(def.rules, vars, env.files);
        if (!out.matched || out.when === 'never') {
          excluded.push({ name: inst.name, position: def.position, reason: out.explanation });
          continue;
        }
        ruleOutcome = out.explanation;
        const rule = out.rule;
        if (out.when) {
          when = out.when;
          manualFromRule = out.when === 'manual';
        }
        if (rule?.allowFailure !== undefined) {
          allowFailure =
            typeof rule.allowFailure === 'boolean'
              ? { allowed: rule.allowFailure, exitCodes: [] }
              : { allowed: true, exitCodes: rule.allowFailure.exitCodes };
        }
        if (rule?.variables) variables = { ...variables, ...rule.variables };
        if (rule?.startIn) startIn = rule.startIn;
        if (rule?.interruptible !== undefined) interruptible = rule.interruptible;
        if (rule?.needs)
          needRefs = readNeeds(env.problems, { kind: 'seq', items: rule.needs as never, pos: rule.position }, [
            'jobs',
            def.name,
            'rules',
            'needs',
          ]);
      } else {
        // GitLab drops the `only: [branches, tags]` default when `workflow:rules` exist (Processable#compose!:
        // "If workflow:rules: or rules: are used they are considered not compatible with only/except defaults"),
        // so such a job is created in every pipeline the workflow lets through, merge request pipelines included.
        const only = def.only ?? (env.workflowRules ? undefined : DEFAULT_ONLY(def));
        const r = evaluateOnlyExcept(only, def.except, vars, env.ctx, env.files, !env.workflowRules);
        if (!r.created) {
          excluded.push({ name: inst.name, position: def.position, reason: r.reason });
          continue;
        }
        ruleOutcome = r.reason;
      }
    } catch (err) {
      if (err instanceof ConfigError) env.problems.push(err);
      else if (err instanceof KilnError) {
        env.problems.push(new ConfigError(err.message, def.position, ['jobs', def.name, def.rules ? 'rules' : 'only']));
      } else throw err;
      continue;
    }
    if (when === 'never') {
      excluded.push({ name: inst.name, position: def.position, reason: 'when: never' });
      continue;
    }
    if (!allowFailure) allowFailure = { allowed: when === 'manual' && !manualFromRule, exitCodes: [] };
    let cache = def.cache;
    try {
      cache = settleCachePolicies(def.cache, lookupJobVariable(env, variables, jobPre), {
        position: def.position,
        path: ['jobs', def.name],
      });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      env.problems.push(err);
      continue;
    }
    const job: Job = {
      id: jobId,
      name: inst.name,
      baseName: def.name,
      stage: def.stage,
      stageIndex,
      position: def.position,
      when,
      allowFailure,
      needs: null,
      dependencies: def.dependencies,
      image: def.image,
      services: def.services,
      beforeScript: def.beforeScript,
      script: def.script,
      afterScript: def.afterScript,
      variables,
      cache,
      artifacts: def.artifacts,
      tags: def.tags,
      retry: def.retry,
      timeoutSeconds: def.timeoutSeconds,
      interruptible,
      resourceGroup: def.resourceGroup,
      environment: def.environment,
      coverage: def.coverage,
      local: def.local,
      trigger: def.trigger,
      parallel: inst.parallel,
      ruleOutcome,
    };
    if (when === 'delayed' && startIn) job.startInSeconds = parseDuration(startIn);
    created.push({ job, def, needRefs });
  }
  return { created, excluded };
}
