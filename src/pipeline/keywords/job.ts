// Reads one job's hash (after includes, extends, !reference and default:) into a JobDef: every keyword checked
// and normalised; unknown keys are errors, as in GitLab.
import type { SourcePosition } from '../../errors.js';
import type {
  AllowFailureSpec,
  ArtifactsSpec,
  CacheSpec,
  EnvironmentSpec,
  ImageSpec,
  LocalKeywords,
  RetrySpec,
  ServiceSpec,
  Variables,
  When,
  TriggerSpec,
} from '../model.js';
import type { OnlyExceptSpec, RuleSpec } from '../rules/types.js';
import { toPlain, type YMap, type YNode } from '../yaml/node.js';
import { checkCoverage, checkRelease, checkStartIn } from './value-checks.js';
import { checkKeys, Problems, readBool, readEnum, readScript, readString, readStrings } from './check.js';
import {
  parseDuration,
  readArtifacts,
  readCache,
  readEnvironment,
  readImage,
  readRetry,
  readServices,
} from './fields.js';
import { readNeeds, type NeedRef } from './needs.js';
import { readParallel, type ParallelSpec } from './parallel.js';
import { readExitCodes, readOnlyExcept, readRules, WHEN_VALUES } from './rules.js';
import { JOB_VARIABLE_DATA, readVariables } from './variables.js';
import { readTrigger } from './trigger.js';
import { readLocalKeywords } from './local.js';

export const JOB_KEYS = [
  'after_script',
  'allow_failure',
  'artifacts',
  'before_script',
  'cache',
  'coverage',
  'dast_configuration',
  'dependencies',
  'environment',
  'except',
  'extends',
  'hooks',
  'id_tokens',
  'identity',
  'image',
  'inherit',
  'interruptible',
  'manual_confirmation',
  'needs',
  'only',
  'pages',
  'parallel',
  'publish',
  'release',
  'resource_group',
  'retry',
  'rules',
  'run',
  'script',
  'secrets',
  'services',
  'stage',
  'start_in',
  'tags',
  'timeout',
  'trigger',
  'variables',
  'when',
] as const;

export type Inherit = boolean | string[];

export interface JobDef {
  name: string;
  position: SourcePosition;
  stage: string;
  stageNode?: YNode;
  when?: When;
  startIn?: string;
  allowFailure?: AllowFailureSpec;
  needs: NeedRef[] | null;
  needsNode?: YNode;
  dependencies: string[] | null;
  dependenciesNode?: YNode;
  image?: ImageSpec;
  services: ServiceSpec[];
  beforeScript: string[];
  script: string[];
  afterScript: string[];
  variables: Variables;
  cache: CacheSpec[];
  artifacts?: ArtifactsSpec;
  tags: string[];
  retry: RetrySpec;
  timeoutSeconds?: number;
  interruptible: boolean;
  resourceGroup?: string;
  environment?: EnvironmentSpec;
  coverage?: string;
  local: LocalKeywords;
  trigger?: TriggerSpec;
  rules?: RuleSpec[];
  only?: OnlyExceptSpec;
  except?: OnlyExceptSpec;
  parallel?: ParallelSpec;
  inheritVariables: Inherit;
}

export function readJob(p: Problems, name: string, job: YMap): JobDef {
  const path = ['jobs', name];
  checkKeys(p, job, path, JOB_KEYS);
  const def: JobDef = {
    name,
    position: job.pos,
    stage: 'test',
    needs: null,
    dependencies: null,
    services: [],
    beforeScript: [],
    script: [],
    afterScript: [],
    variables: {},
    cache: [],
    tags: [],
    retry: { max: 0, when: ['always'], exitCodes: [] },
    interruptible: false,
    inheritVariables: true,
    local: {},
  };
  def.local = readLocalKeywords(p, name, job, path);
  const at = (k: string) => job.entries.get(k)?.value;
  if (!at('script') && !at('trigger') && !at('run')) {
    p.add(job, path, 'config should implement the script:, run:, or trigger: keyword');
  }
  if (at('rules') && (at('only') || at('except'))) {
    p.add(at('rules'), [...path, 'rules'], 'may not be used with only or except');
  }
  for (const e of job.entries.values()) {
    const kp = [...path, e.key];
    const v = e.value;
    switch (e.key) {
      case 'stage': {
        const s = readString(p, v, kp);
        if (s !== undefined) def.stage = s;
        def.stageNode = v;
        break;
      }
      case 'script':
        def.script = readScript(p, v, kp) ?? [];
        break;
      case 'before_script':
        def.beforeScript = readScript(p, v, kp) ?? [];
        break;
      case 'after_script':
        def.afterScript = readScript(p, v, kp) ?? [];
        break;
      case 'when':
        def.when = readEnum(p, v, kp, WHEN_VALUES);
        break;
      case 'start_in':
        def.startIn = readString(p, v, kp);
        break;
      case 'allow_failure':
        def.allowFailure = readAllowFailure(p, v, kp);
        break;
      case 'needs':
        def.needsNode = v;
        def.needs = readNeeds(p, v, kp);
        break;
      case 'dependencies':
        def.dependenciesNode = v;
        def.dependencies = v.kind === 'scalar' && v.value === null ? null : (readStrings(p, v, kp, false) ?? []);
        break;
      case 'image':
        def.image = readImage(p, v, kp);
        break;
      case 'services':
        def.services = readServices(p, v, kp);
        break;
      case 'variables':
        def.variables = readVariables(p, v, kp, true, JOB_VARIABLE_DATA);
        break;
      case 'cache':
        def.cache = readCache(p, v, kp);
        break;
      case 'artifacts':
        def.artifacts = readArtifacts(p, v, kp);
        break;
      case 'tags':
        def.tags = v.kind === 'scalar' && v.value === null ? [] : (readStrings(p, v, kp, false) ?? []);
        break;
      case 'retry':
        def.retry = readRetry(p, v, kp);
        break;
      case 'timeout': {
        const s = readString(p, v, kp);
        if (s !== undefined) {
          def.timeoutSeconds = parseDuration(s);
          if (def.timeoutSeconds === undefined) p.add(v, kp, `should be a duration, got "${s}"`);
        }
        break;
      }
      case 'interruptible':
        def.interruptible = readBool(p, v, kp) ?? false;
        break;
      case 'resource_group':
        def.resourceGroup = readString(p, v, kp);
        break;
      case 'environment':
        def.environment = readEnvironment(p, v, kp);
        break;
      case 'coverage': {
        const pattern = readString(p, v, kp);
        if (pattern !== undefined && checkCoverage(p, v, kp, pattern)) def.coverage = pattern;
        break;
      }
      case 'trigger':
        def.trigger = readTrigger(p, v, kp);
        break;
      case 'rules':
        def.rules = readRules(p, v, kp, 'job');
        break;
      case 'only':
        def.only = readOnlyExcept(p, v, kp);
        break;
      case 'except':
        def.except = readOnlyExcept(p, v, kp);
        break;
      case 'parallel':
        def.parallel = readParallel(p, v, kp);
        break;
      case 'inherit':
        readInherit(p, v, kp, def);
        break;
      case 'release':
        checkRelease(p, v, kp); // kept as a raw value; checked for what GitLab requires
        break;
      default:
        break; // parsed as raw values: hooks, id_tokens, secrets, release, pages, ...
    }
  }
  if (def.when === 'delayed' && !def.startIn && !def.rules)
    p.add(job, path, 'start_in should be specified for delayed job');
  if (def.startIn && def.when !== 'delayed' && !def.rules)
    p.add(at('start_in'), [...path, 'start_in'], 'should be blank unless when is delayed');
  if (def.startIn && parseDuration(def.startIn) === undefined)
    p.add(at('start_in'), [...path, 'start_in'], 'should be a duration');
  else if (def.startIn) checkStartIn(p, at('start_in'), [...path, 'start_in'], parseDuration(def.startIn));
  return def;
}

export function readAllowFailure(p: Problems, v: YNode, kp: string[]): AllowFailureSpec | undefined {
  if (v.kind === 'map') {
    checkKeys(p, v, kp, ['exit_codes']);
    const codes = v.entries.get('exit_codes')?.value;
    return { allowed: true, exitCodes: codes ? readExitCodes(p, codes, [...kp, 'exit_codes']) : [] };
  }
  const b = readBool(p, v, kp);
  return b === undefined ? undefined : { allowed: b, exitCodes: [] };
}

/** inherit:default / inherit:variables — true, false or a list of names. */
export function readInheritValue(p: Problems, v: YNode, kp: string[]): Inherit {
  if (v.kind === 'scalar' && typeof v.value === 'boolean') return v.value;
  const list = readStrings(p, v, kp, false);
  return list ?? true;
}

function readInherit(p: Problems, v: YNode, kp: string[], def: JobDef): void {
  if (v.kind !== 'map') {
    p.add(v, kp, 'should be a hash');
    return;
  }
  checkKeys(p, v, kp, ['default', 'variables']);
  const vars = v.entries.get('variables')?.value;
  if (vars) def.inheritVariables = readInheritValue(p, vars, [...kp, 'variables']);
  // inherit:default is applied to the YAML before readJob (see compose/defaults.ts); only validated here.
  const d = v.entries.get('default')?.value;
  if (d) readInheritValue(p, d, [...kp, 'default']);
}
