// A trigger job's one attempt. GitLab's rules (CI/CD YAML reference: trigger, trigger:strategy, trigger:forward;
// downstream pipelines):
// - trigger:include starts a child pipeline of the same project: kiln runs it inside the same `kiln run`, nested
//   under the trigger job (live output "trigger > job", summary rows and `downstream` in --json);
// - without strategy the trigger job succeeds once the child pipeline is created, whatever the child ends as;
//   the child runs on beside the parent's later jobs;
// - strategy: depend / mirror: the trigger job waits and ends as the child pipeline ended (mirror also keeps
//   "passed with warnings" visible);
// - a child that cannot be created (config error, missing artifact, workflow:rules) fails the trigger job;
// - child pipelines nest at most two levels below the parent;
// - trigger:project (multi-project) needs another project's GitLab pipeline: kiln cannot run it. It ends as
//   "not run"; with strategy: depend/mirror that fails the pipeline unless --allow-multi-project (then skipped).
import { mkdtemp, readFile, lstat, rm } from 'node:fs/promises';
import { join, normalize, isAbsolute } from 'node:path';
import type { Job, Pipeline } from '../../pipeline/model.js';
import type { AttemptResult } from '../schedule/status.js';
import type { PipelineSummary } from '../summary.js';
import type { JobOutput } from '../output/job-output.js';
import type { Store } from '../../store/store.js';
import { restoreTree } from '../../store/tree.js';
import { artifactSources } from '../job/dependencies.js';
import type { ArtifactsResult } from '../job/artifacts.js';
import { forwardedVariables, loadChildPipeline, triggerInputsUnused, type ChildSource } from '../../pipeline/child.js';
import { selectJobs } from '../../plan/select.js';
import { allocatePipeline, pipelinesRoot } from '../pipelines-dir.js';

/** GitLab: parent → child → grandchild, no deeper. */
export const MAX_CHILD_DEPTH = 2;
/** Largest generated child configuration read from an artifact. */
const MAX_CHILD_CONFIG_BYTES = 4 * 1024 * 1024;

export interface TriggerEnv {
  pipeline: Pipeline;
  pipelineId: number;
  store: Store;
  kilnDir: string;
  /** This pipeline's depth: 0 for the pipeline `kiln run` started. */
  depth: number;
  allowMultiProject: boolean;
  /** Jobs whose artifacts the trigger job receives, and what this pipeline's jobs uploaded. */
  artifactsFrom: readonly string[];
  inRun: (job: string) => boolean;
  artifactsOf: (job: string) => ArtifactsResult | undefined;
  /** Runs a loaded child pipeline (a nested runPipeline); its promise settles when the child is done. */
  runChild: (child: Pipeline, id: number, dir: string, signal: AbortSignal) => Promise<PipelineSummary>;
}

export interface TriggerOutcome {
  result: AttemptResult;
  /** The child pipeline's summary: settled already with a strategy, later without one. */
  downstream?: Promise<PipelineSummary>;
}

export async function runTriggerAttempt(
  env: TriggerEnv,
  job: Job,
  out: JobOutput,
  signal: AbortSignal,
  pipelineSignal: AbortSignal,
): Promise<TriggerOutcome> {
  const t = job.trigger!;
  const waits = t.strategy === 'depend' || t.strategy === 'mirror';
  if (t.project !== undefined) {
    const what = `multi-project pipeline (trigger:project ${t.project}${t.branch ? ` branch ${t.branch}` : ''})`;
    const why = `${what}: it runs in another project on GitLab; kiln cannot run it locally`;
    out.info(`WARNING: not run: ${why}`, 'yellow');
    if (!waits)
      return {
        result: {
          exitCode: 0,
          cancelled: false,
          failureReason: 'not_run',
          message: `not run: ${what}`,
          pipelineUnaffected: true,
        },
      };
    if (env.allowMultiProject) {
      out.info(`strategy: ${t.strategy}: skipped (--allow-multi-project)`, 'yellow');
      return { result: { exitCode: 0, cancelled: false, skipped: `not run: ${what} (--allow-multi-project)` } };
    }
    out.info(
      `ERROR: strategy: ${t.strategy} makes this pipeline's status depend on it; run with --allow-multi-project to skip it`,
      'red',
    );
    return {
      result: {
        exitCode: 1,
        cancelled: false,
        failureReason: 'not_run',
        message: `not run: ${what}; strategy: ${t.strategy} fails the pipeline (--allow-multi-project skips it)`,
      },
    };
  }
  const fail = (message: string): TriggerOutcome => {
    out.info(`ERROR: Downstream pipeline cannot be created: ${message}`, 'red');
    return {
      result: {
        exitCode: 1,
        cancelled: false,
        failureReason: 'unknown_failure',
        message: `child pipeline not created: ${message}`,
      },
    };
  };
  if (env.depth >= MAX_CHILD_DEPTH) return fail(`child pipelines nest at most ${MAX_CHILD_DEPTH} levels deep`);

  let source: ChildSource = { kind: 'include' };
  const art = t.include?.find((i) => i.artifact)?.artifact;
  const deps = await artifactSources({
    store: env.store,
    pipelineId: env.pipelineId,
    pipelinesRoot: pipelinesRoot(env.kilnDir),
    from: env.artifactsFrom,
    inRun: env.inRun,
    artifactsOf: env.artifactsOf,
  });
  if (art) {
    try {
      source = { kind: 'artifact', path: art.path, text: await readArtifactFile(env, art.job, art.path, deps) };
    } catch (e) {
      return fail((e as Error).message);
    }
    out.info(`Child configuration ${art.path} from the artifacts of job ${art.job}`);
  }
  const dotenv: Record<string, string> = {};
  for (const d of deps) Object.assign(dotenv, d.dotenv);
  const variables = forwardedVariables(env.pipeline, job, dotenv);

  const { id, dir } = await allocatePipeline(env.kilnDir);
  const loaded = await loadChildPipeline({ parent: env.pipeline, job, pipelineId: id, source, variables });
  let child = loaded.pipeline;
  if (loaded.errors.length || !child) {
    await rm(dir, { recursive: true, force: true });
    for (const e of loaded.errors) out.info(e.message, 'red');
    return fail(
      loaded.errors.length
        ? `${loaded.errors.length} error${loaded.errors.length > 1 ? 's' : ''} in its configuration (${loaded.errors[0].message})`
        : 'no pipeline',
    );
  }
  try {
    selectJobs(child, {}); // workflow:rules and "no jobs" make GitLab refuse to create the pipeline too
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    return fail((e as Error).message);
  }
  if (triggerInputsUnused(job))
    out.info(
      'WARNING: trigger:inputs not used: kiln gives them to a child made of one file without include:inputs of its own; use include:inputs per file',
      'yellow',
    );
  out.info(
    `Created child pipeline ${id} (${child.jobs.length} jobs)${waits ? `; strategy: ${t.strategy}: waiting for it` : '; the trigger job succeeds now (no strategy), the child runs on'}`,
    'cyan',
  );
  const summary = env.runChild(child, id, dir, waits ? signal : pipelineSignal);
  child = undefined;
  if (!waits) return { result: { exitCode: 0, cancelled: false }, downstream: summary };
  const s = await summary;
  const warnings = s.jobs.some((j) => j.allowedFailure && j.status.startsWith('failed'));
  if (s.status === 'passed') {
    out.info(`Child pipeline ${id} passed${warnings && t.strategy === 'mirror' ? ' with warnings' : ''}`, 'green');
    return {
      result: {
        exitCode: 0,
        cancelled: false,
        message: warnings && t.strategy === 'mirror' ? `child pipeline ${id} passed with warnings` : undefined,
      },
      downstream: summary,
    };
  }
  if (s.status === 'blocked') {
    // GitLab's trigger job would wait on the blocked child (depend) or show it blocked (mirror); a local run cannot
    // wait for a click, so the trigger job is "not run" and what needs it does not run either.
    const waiting = s.jobs.filter((j) => j.status === 'manual').map((j) => j.name);
    const message = `not run: child pipeline ${id} is blocked by manual job${waiting.length === 1 ? '' : 's'} ${waiting.join(', ')} (strategy: ${t.strategy}); kiln run --manual plays manual jobs, child pipelines' too`;
    out.info(`ERROR: ${message}`, 'red');
    return { result: { exitCode: 1, cancelled: false, failureReason: 'not_run', message }, downstream: summary };
  }
  if (s.status === 'canceled') {
    out.info(`Child pipeline ${id} was canceled`, 'yellow');
    return { result: { exitCode: 1, cancelled: true, message: `child pipeline ${id} canceled` }, downstream: summary };
  }
  out.info(`ERROR: Child pipeline ${id} failed (strategy: ${t.strategy})`, 'red');
  return {
    result: { exitCode: 1, cancelled: false, failureReason: 'unknown_failure', message: `child pipeline ${id} failed` },
    downstream: summary,
  };
}

/** One file of an earlier job's artifacts (GitLab: the job must be one whose artifacts the trigger job gets). */
async function readArtifactFile(
  env: TriggerEnv,
  jobName: string,
  rel: string,
  deps: { job: string; key: string }[],
): Promise<string> {
  const clean = normalize(rel).replace(/^\.\//, '');
  if (isAbsolute(rel) || clean === '..' || clean.startsWith('../'))
    throw new Error(`artifact path ${rel} leaves the artifacts`);
  if (!env.artifactsFrom.includes(jobName))
    throw new Error(
      `job ${jobName} must be in an earlier stage or in the trigger job's needs (with artifacts) to provide ${rel}`,
    );
  const src = deps.find((d) => d.job === jobName);
  if (!src)
    throw new Error(`job ${jobName} has no artifacts in this pipeline (it did not run, failed, or stored nothing)`);
  const entry = await env.store.readEntry('artifacts', src.key);
  const file = entry?.files.find((f) => normalize(f.path) === clean);
  if (!entry || !file) throw new Error(`the artifacts of job ${jobName} have no file ${rel}`);
  const tmp = await mkdtemp(join(env.kilnDir, 'child-config-'));
  try {
    await restoreTree(env.store, [file], tmp);
    const st = await lstat(join(tmp, clean));
    if (!st.isFile()) throw new Error(`artifact ${rel} of job ${jobName} is not a regular file`);
    if (st.size > MAX_CHILD_CONFIG_BYTES)
      throw new Error(`artifact ${rel} of job ${jobName} is larger than ${MAX_CHILD_CONFIG_BYTES} bytes`);
    return await readFile(join(tmp, clean), 'utf8');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
