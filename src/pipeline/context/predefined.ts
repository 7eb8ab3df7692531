// Predefined CI/CD variables for a local pipeline, derived from git and options the way GitLab would set them.
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { ParallelInfo, PipelineContext, Variables } from '../model.js';
import { commitMessage, git, insideGitWorkTree, readGitFacts, type GitFacts, type RefInfo } from './git.js';
import { localIdentity, parseProjectUrl, type ProjectIdentity } from './project.js';
import { slugify } from './slug.js';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

/** CI_PIPELINE_SOURCE values GitLab uses. */
export const PIPELINE_SOURCES = [
  'push',
  'web',
  'schedule',
  'api',
  'trigger',
  'pipeline',
  'parent_pipeline',
  'merge_request_event',
  'external_pull_request_event',
  'chat',
  'webide',
  'external',
  'ondemand_dast_scan',
  'ondemand_dast_validation',
  'security_orchestration_policy',
  'container_registry_push',
] as const;

export interface ContextOptions {
  projectDir: string;
  ref?: string;
  tag?: boolean;
  source?: string;
  defaultBranch?: string;
  targetBranch?: string;
  beforeSha?: string;
  pipelineId?: number;
  projectUrl?: string;
  /** The GitLab server (kiln.toml gitlab.url): replaces the remote's server in CI_SERVER_* and CI_PROJECT_URL. */
  serverUrl?: string;
  userVariables?: Variables;
}

export async function buildPipelineContext(o: ContextOptions): Promise<PipelineContext> {
  const projectDir = resolve(o.projectDir);
  const source = o.source ?? 'push';
  if (!(PIPELINE_SOURCES as readonly string[]).includes(source)) {
    throw new UsageError(`unknown pipeline source "${source}" (one of: ${PIPELINE_SOURCES.join(', ')})`);
  }
  const hasRef = o.ref !== undefined && o.ref !== '';
  const repo = insideGitWorkTree(projectDir);
  const { facts, refInfo }: { facts: GitFacts; refInfo?: RefInfo } = repo
    ? await readGitFacts(projectDir, {
        wantOriginHead: !o.defaultBranch,
        ref: hasRef ? o.ref : undefined,
        wantUpstream: source === 'push' && !o.beforeSha && !o.tag,
      })
    : { facts: { isRepo: false } };

  let ref: string;
  let isTag: boolean;
  let sha = facts.headSha;
  let message = facts.message;
  if (hasRef) {
    ref = o.ref!;
    isTag = o.tag ?? refInfo?.kind === 'tag';
    if (refInfo?.sha && refInfo.sha !== sha) {
      sha = refInfo.sha;
      message = await commitMessage(projectDir, sha);
    }
  } else if (facts.branch && !o.tag) {
    ref = facts.branch;
    isTag = false;
  } else if (facts.headTag) {
    ref = facts.headTag;
    isTag = o.tag ?? true;
  } else {
    ref = facts.branch ?? 'main';
    isTag = o.tag ?? false;
  }
  sha = sha && /^[0-9a-f]{40}$/.test(sha) ? sha : ZERO_SHA;
  message = message ?? '';

  const defaultBranch = o.defaultBranch || facts.originHead || 'main';
  let id: ProjectIdentity | undefined;
  if (o.projectUrl) {
    id = parseProjectUrl(o.projectUrl);
    if (!id) throw new UsageError(`cannot read a project path from URL "${o.projectUrl}"`);
  } else if (facts.originUrl) {
    id = parseProjectUrl(facts.originUrl);
  }
  id ??= localIdentity(projectDir);
  if (o.serverUrl) {
    const onServer = parseProjectUrl(`${o.serverUrl.replace(/\/+$/, '')}/${id.path}`);
    if (!onServer) throw new UsageError(`kiln.toml gitlab.url "${o.serverUrl}" is not a server URL`);
    id = onServer;
  }

  const pipelineId = String(o.pipelineId ?? 1);
  const segments = id.path.split('/');
  const projectName = segments[segments.length - 1];
  const namespace = segments.slice(0, -1).join('/');
  const projectUrl = `${id.serverUrl}/${id.path}`;
  const nl = message.indexOf('\n');
  const title = nl < 0 ? message : message.slice(0, nl);
  const description = nl < 0 ? '' : message.slice(nl + 1).replace(/^\n+/, '');
  const isMr = source === 'merge_request_event';
  const userLogin = (facts.userEmail?.split('@')[0] || process.env.USER || 'kiln').replace(/[^A-Za-z0-9_.-]/g, '');

  const v: Record<string, string> = {
    CI: 'true',
    GITLAB_CI: 'true',
    CI_SERVER: 'yes',
    CI_SERVER_NAME: 'GitLab',
    CI_SERVER_HOST: id.serverHost,
    CI_SERVER_FQDN:
      id.serverPort === (id.serverProtocol === 'http' ? '80' : '443')
        ? id.serverHost
        : `${id.serverHost}:${id.serverPort}`,
    CI_SERVER_PORT: id.serverPort,
    CI_SERVER_PROTOCOL: id.serverProtocol,
    CI_SERVER_URL: id.serverUrl,
    CI_API_V4_URL: `${id.serverUrl}/api/v4`,
    CI_API_GRAPHQL_URL: `${id.serverUrl}/api/graphql`,
    CI_REGISTRY: `registry.${id.serverHost}`,
    CI_REGISTRY_IMAGE: `registry.${id.serverHost}/${id.path.toLowerCase()}`,
    CI_TEMPLATE_REGISTRY_HOST: 'registry.gitlab.com',
    CI_CONFIG_PATH: '.gitlab-ci.yml',
    CI_PROJECT_DIR: projectDir,
    CI_PROJECT_ID: '1',
    CI_PROJECT_NAME: projectName,
    CI_PROJECT_TITLE: projectName,
    CI_PROJECT_PATH: id.path,
    CI_PROJECT_PATH_SLUG: slugify(id.path),
    CI_PROJECT_NAMESPACE: namespace,
    CI_PROJECT_NAMESPACE_SLUG: slugify(namespace),
    CI_PROJECT_ROOT_NAMESPACE: segments[0],
    CI_PROJECT_URL: projectUrl,
    CI_PROJECT_VISIBILITY: 'private',
    CI_DEFAULT_BRANCH: defaultBranch,
    CI_COMMIT_SHA: sha,
    CI_COMMIT_SHORT_SHA: sha.slice(0, 8),
    CI_COMMIT_BEFORE_SHA: ZERO_SHA,
    CI_REPOSITORY_URL: `${id.serverProtocol}://gitlab-ci-token:[MASKED]@${id.serverHost}${id.serverPort === (id.serverProtocol === 'http' ? '80' : '443') ? '' : `:${id.serverPort}`}/${id.path}.git`,
    CI_COMMIT_REF_NAME: ref,
    CI_COMMIT_REF_SLUG: slugify(ref),
    CI_COMMIT_REF_PROTECTED: !isTag && ref === defaultBranch ? 'true' : 'false',
    CI_COMMIT_MESSAGE: message,
    CI_COMMIT_TITLE: title,
    CI_COMMIT_DESCRIPTION: description,
    CI_COMMIT_AUTHOR: `${facts.authorName ?? facts.userName ?? 'kiln'} <${facts.authorEmail ?? facts.userEmail ?? 'kiln@localhost'}>`,
    CI_COMMIT_TIMESTAMP: facts.commitTimestamp ?? new Date(0).toISOString().replace('.000Z', '+00:00'),
    CI_PIPELINE_ID: pipelineId,
    CI_PIPELINE_IID: pipelineId,
    CI_PIPELINE_SOURCE: source,
    CI_PIPELINE_URL: `${projectUrl}/-/pipelines/${pipelineId}`,
    CI_PIPELINE_CREATED_AT: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    GITLAB_USER_ID: '1',
    GITLAB_USER_LOGIN: userLogin || 'kiln',
    GITLAB_USER_NAME: facts.userName ?? userLogin ?? 'kiln',
    GITLAB_USER_EMAIL: facts.userEmail ?? 'kiln@localhost',
  };
  if (isTag) {
    v.CI_COMMIT_TAG = ref;
    v.CI_COMMIT_TAG_MESSAGE = message;
  } else if (!isMr) {
    v.CI_COMMIT_BRANCH = ref;
  }
  // A push pipeline's before-SHA: given, else what the branch's upstream points to (the push would start there;
  // when the branch is already pushed, the pipeline is the one of its last commit's push: its parent); zeros for a
  // branch that was never pushed, which GitLab treats as a new branch (every rules:changes is true).
  if (!isTag && source === 'push') {
    const before = o.beforeSha ?? (facts.upstreamSha === sha ? facts.parentSha : facts.upstreamSha);
    if (before) {
      if (!/^[0-9a-f]{40}$/.test(before))
        throw new UsageError(`--before-sha must be a full 40-character commit SHA, got "${before}"`);
      v.CI_COMMIT_BEFORE_SHA = before;
    }
  }
  if (source === 'trigger' || source === 'pipeline') v.CI_PIPELINE_TRIGGERED = 'true';
  if (isMr) {
    v.CI_MERGE_REQUEST_ID = '1';
    v.CI_MERGE_REQUEST_IID = '1';
    v.CI_MERGE_REQUEST_EVENT_TYPE = 'detached';
    v.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME = ref;
    v.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA = '';
    v.CI_MERGE_REQUEST_SOURCE_PROJECT_PATH = id.path;
    v.CI_MERGE_REQUEST_SOURCE_PROJECT_URL = projectUrl;
    v.CI_MERGE_REQUEST_TARGET_BRANCH_NAME = o.targetBranch || defaultBranch;
    v.CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED = 'true';
    v.CI_MERGE_REQUEST_TARGET_BRANCH_SHA = '';
    // The merge base of the target branch and the source: what GitLab diffs an MR against.
    if (repo && sha !== ZERO_SHA) {
      const target = v.CI_MERGE_REQUEST_TARGET_BRANCH_NAME;
      for (const base of [target, `origin/${target}`]) {
        const mb = (await git(projectDir, ['merge-base', base, sha]))?.trim();
        if (mb) {
          v.CI_MERGE_REQUEST_DIFF_BASE_SHA = mb;
          break;
        }
      }
    }
    v.CI_MERGE_REQUEST_PROJECT_ID = '1';
    v.CI_MERGE_REQUEST_PROJECT_PATH = id.path;
    v.CI_MERGE_REQUEST_PROJECT_URL = projectUrl;
    v.CI_MERGE_REQUEST_REF_PATH = 'refs/merge-requests/1/head';
    v.CI_MERGE_REQUEST_TITLE = title;
    v.CI_MERGE_REQUEST_DESCRIPTION = description;
    v.CI_MERGE_REQUEST_APPROVED = 'false';
    v.CI_MERGE_REQUEST_DRAFT = 'false';
    v.CI_OPEN_MERGE_REQUESTS = `${id.path}!1`;
  }
  return { ref, isTag, source, predefined: v, userVariables: o.userVariables ?? {} };
}

/** Job-level predefined variables (CI_JOB_*, CI_NODE_*), to add to the pipeline's. */
export function jobPredefined(
  ctx: PipelineContext,
  job: { name: string; stage: string; parallel?: ParallelInfo },
  jobId: number,
): Record<string, string> {
  const projectUrl = ctx.predefined.CI_PROJECT_URL ?? '';
  const v: Record<string, string> = {
    CI_JOB_NAME: job.name,
    CI_JOB_NAME_SLUG: slugify(job.name),
    CI_JOB_STAGE: job.stage,
    CI_JOB_ID: String(jobId),
    CI_JOB_URL: `${projectUrl}/-/jobs/${jobId}`,
    CI_NODE_TOTAL: String(job.parallel?.total ?? 1),
  };
  if (job.parallel) v.CI_NODE_INDEX = String(job.parallel.index);
  return v;
}

export { slugify };
