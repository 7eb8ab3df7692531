// Readers for the structured job keywords: image, services, cache, artifacts, retry, timeout, environment.
import type {
  ArtifactsSpec,
  CacheSpec,
  EnvironmentSpec,
  ImageSpec,
  PullPolicy,
  RetrySpec,
  ServiceSpec,
} from '../model.js';
import type { YNode } from '../yaml/node.js';
import {
  checkKeys,
  flattenSeq,
  Problems,
  readBool,
  readEnum,
  readInt,
  readString,
  readStrings,
  scalarText,
} from './check.js';
import { readExitCodes } from './rules.js';
import { parseDuration } from './duration.js';
import { checkCacheKeyText, checkEnvironmentName } from './value-checks.js';

export { parseDuration };

const PULL: readonly PullPolicy[] = ['always', 'never', 'if-not-present'];

type YMapNode = Extract<YNode, { kind: 'map' }>;

/** A keyword written either as a string (its name) or as a hash with a required `name` among `keys`. */
function readNameOrHash(
  p: Problems,
  n: YNode,
  path: string[],
  keys: string[],
): { name: string; map?: YMapNode } | undefined {
  if (n.kind === 'scalar') {
    const s = readString(p, n, path);
    return s === undefined ? undefined : { name: s };
  }
  if (n.kind !== 'map') {
    p.add(n, path, 'should be a string or a hash');
    return undefined;
  }
  checkKeys(p, n, path, keys);
  const nameNode = n.entries.get('name')?.value;
  if (!nameNode) {
    p.add(n, path, 'name is required');
    return undefined;
  }
  return { name: readString(p, nameNode, [...path, 'name']) ?? '', map: n };
}

export function readImage(p: Problems, n: YNode, path: string[]): ImageSpec | undefined {
  const named = readNameOrHash(p, n, path, ['name', 'entrypoint', 'pull_policy', 'docker', 'kubernetes']);
  if (!named?.map) return named && { name: named.name };
  return imageFields(p, named.map, path, named.name);
}

function imageFields(p: Problems, n: YMapNode, path: string[], name: string): ImageSpec {
  const spec: ImageSpec = { name };
  const ep = n.entries.get('entrypoint')?.value;
  if (ep) spec.entrypoint = readStrings(p, ep, [...path, 'entrypoint']);
  const pp = n.entries.get('pull_policy')?.value;
  if (pp) {
    const items = pp.kind === 'seq' ? pp.items : [pp];
    spec.pullPolicy = items
      .map((i) => readEnum(p, i, [...path, 'pull_policy'], PULL))
      .filter((x): x is PullPolicy => !!x);
  }
  const docker = n.entries.get('docker')?.value;
  if (docker) {
    if (docker.kind !== 'map') p.add(docker, [...path, 'docker'], 'should be a hash');
    else {
      checkKeys(p, docker, [...path, 'docker'], ['platform', 'user']);
      const pl = docker.entries.get('platform')?.value;
      const us = docker.entries.get('user')?.value;
      if (pl) spec.platform = readString(p, pl, [...path, 'docker', 'platform']);
      if (us) spec.user = readString(p, us, [...path, 'docker', 'user']);
    }
  }
  return spec;
}

export function readServices(p: Problems, n: YNode, path: string[]): ServiceSpec[] {
  if (n.kind !== 'seq') {
    p.add(n, path, 'should be an array');
    return [];
  }
  const out: ServiceSpec[] = [];
  n.items.forEach((it, i) => {
    const sp = [...path, String(i)];
    const named = readNameOrHash(p, it, sp, [
      'name',
      'alias',
      'entrypoint',
      'command',
      'variables',
      'pull_policy',
      'docker',
      'kubernetes',
    ]);
    if (!named) return;
    const entry = named.map;
    if (!entry) {
      out.push({ name: named.name, alias: [], variables: {} });
      return;
    }
    const svc: ServiceSpec = { ...imageFields(p, entry, sp, named.name), alias: [], variables: {} };
    const alias = entry.entries.get('alias')?.value;
    if (alias)
      svc.alias = (readString(p, alias, [...sp, 'alias']) ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
    const cmd = entry.entries.get('command')?.value;
    if (cmd) svc.command = readStrings(p, cmd, [...sp, 'command']);
    const vars = entry.entries.get('variables')?.value;
    if (vars?.kind === 'map') {
      for (const e of vars.entries.values()) svc.variables[e.key] = scalarText(e.value) ?? '';
    } else if (vars) p.add(vars, [...sp, 'variables'], 'should be a hash');
    out.push(svc);
  });
  return out;
}

const CACHE_WHEN = ['on_success', 'on_failure', 'always'] as const;

export function readCache(p: Problems, n: YNode, path: string[]): CacheSpec[] {
  if (n.kind === 'scalar' && n.value === null) return [];
  // A list inside the list (`cache: [*anchored_list]`, or `!reference` to another job's cache list) is flattened:
  // GitLab's Caches entry is a ComposableArray, which flattens its config before reading each item.
  const items = n.kind === 'seq' ? flattenSeq(n) : [n];
  if (n.kind === 'seq' && n.items.length > 4) p.add(n, path, 'no more than 4 caches can be created');
  const out: CacheSpec[] = [];
  items.forEach((it, i) => {
    const cp = n.kind === 'seq' ? [...path, String(i)] : path;
    if (it.kind !== 'map') {
      p.add(it, cp, 'should be a hash');
      return;
    }
    checkKeys(p, it, cp, ['key', 'paths', 'untracked', 'policy', 'when', 'fallback_keys', 'unprotect']);
    const c: CacheSpec = {
      key: 'default',
      paths: [],
      untracked: false,
      policy: 'pull-push',
      when: 'on_success',
      fallbackKeys: [],
      unprotect: false,
    };
    for (const e of it.entries.values()) {
      const kp = [...cp, e.key];
      const v = e.value;
      switch (e.key) {
        case 'key':
          if (v.kind === 'map') {
            // `files` (content, globs allowed) or `files_commits` (last commits), one or two entries, not both.
            checkKeys(p, v, kp, ['files', 'files_commits', 'prefix']);
            const files = v.entries.get('files')?.value;
            const commits = v.entries.get('files_commits')?.value;
            const prefix = v.entries.get('prefix')?.value;
            const list = files ?? commits;
            const name = files ? 'files' : 'files_commits';
            c.key = { files: list ? (readStrings(p, list, [...kp, name], false) ?? []) : [] };
            if (commits && !files) c.key.commits = true;
            if (!list) p.add(v, kp, 'files or files_commits is required');
            else if (files && commits) p.add(commits, [...kp, 'files_commits'], 'may not be used with files');
            else if (c.key.files.length < 1 || c.key.files.length > 2)
              p.add(list, [...kp, name], 'should have 1 or 2 entries');
            if (prefix) {
              c.key.prefix = readString(p, prefix, [...kp, 'prefix']);
              if (c.key.prefix !== undefined) checkCacheKeyText(p, prefix, [...kp, 'prefix'], c.key.prefix);
            }
          } else {
            c.key = readString(p, v, kp) ?? 'default';
            checkCacheKeyText(p, v, kp, c.key);
          }
          break;
        case 'paths':
          c.paths = readStrings(p, v, kp, false) ?? [];
          break;
        case 'untracked':
          c.untracked = readBool(p, v, kp) ?? false;
          break;
        case 'policy': {
          const s = scalarText(v);
          // `policy: $CACHE_POLICY`: GitLab allows variables here (CI/CD YAML reference, `cache:policy`); the
          // value is settled when the job is created (create/cache-policy.ts).
          if (s !== undefined && s.includes('$')) c.policyText = s;
          else c.policy = readEnum(p, v, kp, CACHE_POLICIES) ?? 'pull-push';
          break;
        }
        case 'when':
          c.when = readEnum(p, v, kp, CACHE_WHEN) ?? 'on_success';
          break;
        case 'fallback_keys':
          c.fallbackKeys = readStrings(p, v, kp, false) ?? [];
          break;
        case 'unprotect':
          c.unprotect = readBool(p, v, kp) ?? false;
          break;
        default:
          break;
      }
    }
    out.push(c);
  });
  return out;
}

export const CACHE_POLICIES = ['pull', 'push', 'pull-push'] as const;

export function readArtifacts(p: Problems, n: YNode, path: string[]): ArtifactsSpec | undefined {
  if (n.kind === 'scalar' && n.value === null) return undefined;
  if (n.kind !== 'map') {
    p.add(n, path, 'should be a hash');
    return undefined;
  }
  checkKeys(p, n, path, [
    'paths',
    'exclude',
    'untracked',
    'when',
    'expire_in',
    'name',
    'expose_as',
    'reports',
    'public',
    'access',
  ]);
  const a: ArtifactsSpec = { paths: [], exclude: [], untracked: false, when: 'on_success', reports: {} };
  for (const e of n.entries.values()) {
    const kp = [...path, e.key];
    const v = e.value;
    switch (e.key) {
      case 'paths':
        a.paths = readStrings(p, v, kp, false) ?? [];
        break;
      case 'exclude':
        a.exclude = readStrings(p, v, kp, false) ?? [];
        break;
      case 'untracked':
        a.untracked = readBool(p, v, kp) ?? false;
        break;
      case 'when':
        a.when = readEnum(p, v, kp, CACHE_WHEN) ?? 'on_success';
        break;
      case 'name':
        a.name = readString(p, v, kp);
        break;
      case 'expose_as':
        a.exposeAs = readString(p, v, kp);
        break;
      case 'expire_in': {
        const s = readString(p, v, kp);
        if (s !== undefined) {
          if (s.trim() === 'never') a.expireInSeconds = null;
          else {
            const secs = parseDuration(s);
            if (secs === undefined) p.add(v, kp, `should be a duration, got "${s}"`);
            else a.expireInSeconds = secs;
          }
        }
        break;
      }
      case 'reports':
        if (v.kind !== 'map') p.add(v, kp, 'should be a hash');
        else {
          for (const r of v.entries.values()) {
            const rv = r.value;
            if (rv.kind === 'map') {
              // coverage_report: {coverage_format, path}
              const pth = rv.entries.get('path')?.value;
              a.reports[r.key] = pth ? (readStrings(p, pth, [...kp, r.key, 'path']) ?? []) : [];
            } else a.reports[r.key] = readStrings(p, rv, [...kp, r.key]) ?? [];
          }
        }
        break;
      default:
        break;
    }
  }
  return a;
}

/**
 * `retry:when`: `always` or any job failure reason GitLab knows. GitLab takes the list from its failure reasons
 * (`Retry::FullRetry.possible_retry_when_values` = `Gitlab::Ci::Status::Build::Failed.reasons` + `always`), so
 * it grows with GitLab; `runner_interrupted` (split from `runner_system_failure` in GitLab 18) is the newest that
 * published pipelines use.
 */
export const RETRY_WHEN = [
  'always',
  'unknown_failure',
  'script_failure',
  'api_failure',
  'stuck_or_timeout_failure',
  'runner_system_failure',
  'runner_interrupted',
  'missing_dependency_failure',
  'runner_unsupported',
  'stale_schedule',
  'job_execution_timeout',
  'archived_failure',
  'unmet_prerequisites',
  'scheduler_failure',
  'data_integrity_failure',
  'forward_deployment_failure',
  'protected_environment_failure',
  'pipeline_loop_detected',
  'invalid_bridge_trigger',
  'downstream_bridge_project_not_found',
  'upstream_bridge_project_not_found',
  'insufficient_bridge_permissions',
  'insufficient_upstream_permissions',
  'bridge_pipeline_is_child_pipeline',
  'downstream_pipeline_creation_failed',
  'secrets_provider_not_found',
  'reached_max_descendant_pipelines_depth',
  'reached_max_pipeline_hierarchy_size',
  'project_deleted',
  'user_blocked',
  'ci_quota_exceeded',
  'no_matching_runner',
  'trace_size_exceeded',
  'builds_disabled',
  'environment_creation_failure',
  'deployment_rejected',
  'ip_restriction_failure',
  'failed_outdated_deployment_job',
  'reached_downstream_pipeline_trigger_rate_limit',
];

export function readRetry(p: Problems, n: YNode, path: string[]): RetrySpec {
  const r: RetrySpec = { max: 0, when: ['always'], exitCodes: [] };
  if (n.kind === 'scalar' && typeof n.value === 'number') {
    r.max = readInt(p, n, path, 0, 2) ?? 0;
    return r;
  }
  if (n.kind !== 'map') {
    p.add(n, path, 'should be an integer or a hash');
    return r;
  }
  checkKeys(p, n, path, ['max', 'when', 'exit_codes']);
  const max = n.entries.get('max')?.value;
  if (max) r.max = readInt(p, max, [...path, 'max'], 0, 2) ?? 0;
  const when = n.entries.get('when')?.value;
  if (when) {
    const w = readStrings(p, when, [...path, 'when']) ?? [];
    for (const x of w) if (!RETRY_WHEN.includes(x)) p.add(when, [...path, 'when'], `unknown value "${x}"`);
    r.when = w;
  }
  const codes = n.entries.get('exit_codes')?.value;
  if (codes) r.exitCodes = readExitCodes(p, codes, [...path, 'exit_codes']);
  return r;
}

export function readEnvironment(p: Problems, n: YNode, path: string[]): EnvironmentSpec | undefined {
  const named = readNameOrHash(p, n, path, [
    'name',
    'url',
    'action',
    'on_stop',
    'auto_stop_in',
    'deployment_tier',
    'kubernetes',
  ]);
  if (named) {
    const nameNode = n.kind === 'map' ? n.entries.get('name')?.value : n;
    const namePath = n.kind === 'map' ? [...path, 'name'] : path;
    if (nameNode) checkEnvironmentName(p, nameNode, namePath, named.name);
  }
  if (!named?.map) return named && { name: named.name };
  const env: EnvironmentSpec = { name: named.name };
  const url = named.map.entries.get('url')?.value;
  const action = named.map.entries.get('action')?.value;
  const onStop = named.map.entries.get('on_stop')?.value;
  if (url) env.url = readString(p, url, [...path, 'url']);
  if (action) env.action = readEnum(p, action, [...path, 'action'], ['start', 'prepare', 'stop', 'verify', 'access']);
  if (onStop) env.onStop = readString(p, onStop, [...path, 'on_stop']);
  const tier = named.map.entries.get('deployment_tier')?.value;
  if (tier)
    env.tier = readEnum(
      p,
      tier,
      [...path, 'deployment_tier'],
      ['production', 'staging', 'testing', 'development', 'other'],
    );
  return env;
}
