// `trigger:` of a trigger (bridge) job, read into a TriggerSpec. GitLab's forms (CI/CD YAML reference, trigger):
//   trigger: group/project                       multi-project pipeline (short form)
//   trigger: { project, branch, strategy, forward }
//   trigger: { include, strategy, forward }       child pipeline; include is a path or a list of
//     local / template / project+file / remote / component items, or { artifact, job } (a file an earlier job made)
// strategy: depend or mirror; forward: yaml_variables (default true), pipeline_variables (default false).
import type { TriggerInclude, TriggerSpec } from '../model.js';
import { checkKeys, readBool, readEnum, readString, scalarText, type Problems } from './check.js';
import { newMap, type YNode } from '../yaml/node.js';

const TRIGGER_KEYS = ['include', 'project', 'branch', 'strategy', 'forward', 'inputs'] as const;
const INCLUDE_ITEM_KEYS = [
  'local',
  'template',
  'artifact',
  'job',
  'project',
  'ref',
  'file',
  'remote',
  'component',
  'inputs',
  'rules',
] as const;

export function readTrigger(p: Problems, v: YNode, path: string[]): TriggerSpec | undefined {
  const forward = { yamlVariables: true, pipelineVariables: false };
  if (v.kind === 'scalar') {
    const project = readString(p, v, path);
    return project === undefined ? undefined : { project, forward, position: v.pos };
  }
  if (v.kind !== 'map') {
    p.add(v, path, 'should be a string or a hash');
    return undefined;
  }
  checkKeys(p, v, path, TRIGGER_KEYS);
  const spec: TriggerSpec = { forward, position: v.pos };
  const at = (k: string) => v.entries.get(k)?.value;
  const inc = at('include');
  const project = at('project');
  if (inc && project) p.add(v, path, 'include and project cannot be used together');
  if (!inc && !project) p.add(v, path, 'should have include or project');
  if (project) spec.project = readString(p, project, [...path, 'project']);
  const branch = at('branch');
  if (branch) {
    if (!project) p.add(branch, [...path, 'branch'], 'branch can only be used with project');
    spec.branch = readString(p, branch, [...path, 'branch']);
  }
  if (inc) spec.include = readIncludes(p, inc, [...path, 'include']);
  const strategy = at('strategy');
  if (strategy) spec.strategy = readEnum(p, strategy, [...path, 'strategy'], ['depend', 'mirror'] as const);
  const fwd = at('forward');
  if (fwd) {
    if (fwd.kind !== 'map') p.add(fwd, [...path, 'forward'], 'should be a hash');
    else {
      checkKeys(p, fwd, [...path, 'forward'], ['yaml_variables', 'pipeline_variables']);
      const y = fwd.entries.get('yaml_variables')?.value;
      const pv = fwd.entries.get('pipeline_variables')?.value;
      if (y) forward.yamlVariables = readBool(p, y, [...path, 'forward', 'yaml_variables']) ?? true;
      if (pv) forward.pipelineVariables = readBool(p, pv, [...path, 'forward', 'pipeline_variables']) ?? false;
    }
  }
  const inputs = at('inputs');
  if (inputs) {
    if (inputs.kind !== 'map') p.add(inputs, [...path, 'inputs'], 'should be a hash');
    else spec.inputs = inputs;
  }
  return spec;
}

function readIncludes(p: Problems, n: YNode, path: string[]): TriggerInclude[] {
  const items = n.kind === 'seq' ? n.items : [n];
  const out: TriggerInclude[] = [];
  items.forEach((item, i) => {
    const kp = n.kind === 'seq' ? [...path, String(i)] : path;
    if (item.kind === 'scalar') {
      const s = scalarText(item);
      if (s === undefined) p.add(item, kp, 'should be a string or a hash');
      // A plain path is a local file (GitLab: `trigger: include: path/to/child.yml`).
      else out.push({ node: newMap(item.pos, [{ key: 'local', keyPos: item.pos, value: item }]) });
      return;
    }
    if (item.kind !== 'map') {
      p.add(item, kp, 'should be a string or a hash');
      return;
    }
    checkKeys(p, item, kp, INCLUDE_ITEM_KEYS);
    const artifact = item.entries.get('artifact')?.value;
    const job = item.entries.get('job')?.value;
    if (artifact || job) {
      if (!artifact || !job) {
        p.add(item, kp, 'artifact and job must be given together');
        return;
      }
      const a = readString(p, artifact, [...kp, 'artifact']);
      const j = readString(p, job, [...kp, 'job']);
      if (a !== undefined && j !== undefined) out.push({ node: item, artifact: { path: a, job: j } });
      return;
    }
    out.push({ node: item });
  });
  if (out.length > 1 && out.some((o) => o.artifact)) {
    p.add(
      n,
      path,
      'an artifact include cannot be combined with other files here (kiln runs a generated child configuration on its own; include other files from inside it)',
    );
  }
  return out;
}

/**
 * GitLab's trigger (bridge) jobs take only a subset of job keywords (CI/CD YAML reference, trigger: "trigger jobs
 * can use only a limited set of keywords"); the ones only a runner acts on are an error there: "config contains
 * unknown keys". Checked on the job as written (after extends, before default: — bridges do not inherit those).
 */
const RUNNER_ONLY_KEYS = [
  'script',
  'before_script',
  'after_script',
  'image',
  'services',
  'cache',
  'artifacts',
  'tags',
  'coverage',
  'timeout',
  'hooks',
  'run',
  'release',
  'pages',
  'secrets',
  'id_tokens',
];

export function checkTriggerJobKeys(p: Problems, job: YNode, path: string[]): void {
  if (job.kind !== 'map' || !job.entries.has('trigger')) return;
  const bad = RUNNER_ONLY_KEYS.filter((k) => job.entries.has(k));
  if (bad.length)
    p.add(
      { pos: job.entries.get(bad[0])!.keyPos },
      path,
      `config contains unknown keys: ${bad.join(', ')} (a trigger job runs no script; GitLab refuses these keys on it)`,
    );
}
