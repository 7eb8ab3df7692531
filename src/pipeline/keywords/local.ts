// Job keywords whose work is done by GitLab's server or by features outside a runner: Pages, releases, CI steps
// (`run:`), OIDC tokens and external secrets, and the runner hook `hooks:pre_get_sources_script`. They are read
// here into `LocalKeywords`, and `run/job/local-only.ts` decides what kiln does with each: do it, do what can be
// done and say what cannot, or refuse to call the job a success.
import type { LocalKeywords, SecretSpec } from '../model.js';
import type { YMap, YNode } from '../yaml/node.js';
import { checkKeys, Problems, readBool, readString, readStrings } from './check.js';

/** GitLab's secret providers (CI/CD YAML reference, `secrets`). */
const SECRET_PROVIDERS = [
  'vault',
  'azure_key_vault',
  'gcp_secret_manager',
  'aws_secrets_manager',
  'akeyless',
  'gitlab_secrets_manager',
];

export function readLocalKeywords(p: Problems, name: string, job: YMap, path: string[]): LocalKeywords {
  const at = (k: string) => job.entries.get(k)?.value;
  const out: LocalKeywords = {};

  // Pages: a job named `pages` (unless `pages: false`), or `pages: true` / `pages: {publish, ...}`. Its folder
  // (`pages:publish`, the older job-level `publish`, default `public`) is added to the job's artifacts.
  const pages = at('pages');
  let pagesPublish: string | undefined;
  let isPages = name === 'pages';
  if (pages) {
    if (pages.kind === 'map') {
      checkKeys(p, pages, [...path, 'pages'], ['publish', 'path_prefix', 'expire_in']);
      const pub = pages.entries.get('publish')?.value;
      if (pub) pagesPublish = readString(p, pub, [...path, 'pages', 'publish']);
      isPages = true;
    } else {
      const b = readBool(p, pages, [...path, 'pages']);
      if (b !== undefined) isPages = b;
    }
  }
  const publish = at('publish');
  if (publish) pagesPublish ??= readString(p, publish, [...path, 'publish']);
  if (isPages) out.pages = { publish: (pagesPublish ?? 'public').replace(/^\.\//, '').replace(/\/+$/, '') || '.' };

  const hooks = at('hooks');
  if (hooks) {
    if (hooks.kind !== 'map') p.add(hooks, [...path, 'hooks'], 'should be a hash');
    else {
      checkKeys(p, hooks, [...path, 'hooks'], ['pre_get_sources_script']);
      const pre = hooks.entries.get('pre_get_sources_script')?.value;
      if (pre) out.preGetSourcesScript = readStrings(p, pre, [...path, 'hooks', 'pre_get_sources_script'], true) ?? [];
    }
  }
  if (at('release')) out.release = true;
  if (at('run')) out.steps = true;

  const tokens = at('id_tokens');
  if (tokens) {
    if (tokens.kind !== 'map') p.add(tokens, [...path, 'id_tokens'], 'should be a hash');
    else out.idTokens = [...tokens.entries.keys()];
  }
  const secrets = at('secrets');
  if (secrets) out.secrets = readSecrets(p, secrets, [...path, 'secrets']);

  // needs on another project's or the parent pipeline's jobs: their artifacts live on GitLab.
  const needs = at('needs');
  if (needs?.kind === 'seq') {
    for (const it of needs.items) {
      if (it.kind !== 'map') continue;
      const project = it.entries.get('project')?.value;
      const pipeline = it.entries.get('pipeline')?.value;
      const jobName = it.entries.get('job')?.value;
      const job = jobName?.kind === 'scalar' ? String(jobName.value) : '?';
      if (project?.kind === 'scalar')
        (out.externalNeeds ??= []).push(`needs:project ${String(project.value)} (job ${job})`);
      else if (pipeline) (out.externalNeeds ??= []).push(`needs:pipeline:job ${job}`);
    }
  }
  if (at('identity'))
    out.unsupported = [
      ...(out.unsupported ?? []),
      'identity: cloud identity federation needs GitLab; kiln sets nothing for it',
    ];
  if (at('dast_configuration'))
    out.unsupported = [
      ...(out.unsupported ?? []),
      'dast_configuration: DAST site and scanner profiles live on GitLab; kiln does not load them',
    ];
  return out;
}

function readSecrets(p: Problems, n: YNode, path: string[]): Record<string, SecretSpec> {
  const out: Record<string, SecretSpec> = Object.create(null);
  if (n.kind !== 'map') {
    p.add(n, path, 'should be a hash');
    return out;
  }
  for (const [name, entry] of n.entries) {
    const v = entry.value;
    const kp = [...path, name];
    if (v.kind !== 'map') {
      p.add(v, kp, 'should be a hash');
      continue;
    }
    checkKeys(p, v, kp, [...SECRET_PROVIDERS, 'file', 'token']);
    const provider = SECRET_PROVIDERS.find((k) => v.entries.has(k));
    if (!provider) p.add(v, kp, `should name a secret provider (${SECRET_PROVIDERS.join(', ')})`);
    const fileNode = v.entries.get('file')?.value;
    // GitLab stores a secret in a file unless `file: false`.
    const file = fileNode ? (readBool(p, fileNode, [...kp, 'file']) ?? true) : true;
    out[name] = { provider: provider ?? 'unknown', file };
  }
  return out;
}
