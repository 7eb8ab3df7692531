// The variables GitLab lets `include` use (docs: ci/yaml/includes.md "Use variables with include"; GitLab's
// Variables::Builder#config_variables): project and instance predefined variables (CI_PROJECT_*, CI_SERVER_*,
// CI_DEFAULT_BRANCH, ...), the pipeline's predefined variables known before it is saved (CI_COMMIT_*,
// CI_PIPELINE_SOURCE, CI_PIPELINE_IID, CI_MERGE_REQUEST_*, ...), and project/group/instance, trigger, schedule
// and manual-run variables (kiln: --variable). Not: job variables, the file's own `variables:`, variables of a
// saved pipeline (CI_PIPELINE_ID, CI_PIPELINE_URL), user identity (GITLAB_USER_*) or runner ones (CI_PROJECT_DIR).
// Include locations (local, project, ref, file, remote, template, component) are expanded with them before the file
// is looked up, GitLab's ExpandVariables.expand: $NAME, ${NAME} and %NAME%; unknown names expand to "".
import type { PipelineContext } from '../model.js';

const NOT_FOR_INCLUDES =
  /^(?:CI_PIPELINE_ID|CI_PIPELINE_URL|CI_PROJECT_DIR|CI_BUILDS_DIR|GITLAB_USER_.*|CI_JOB_.*|CI_NODE_.*|CI_RUNNER_.*)$/;
const REFERENCE = /\$([a-zA-Z_][a-zA-Z0-9_]*)|\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|%([a-zA-Z_][a-zA-Z0-9_]*)%/g;

export function includeVariables(ctx: PipelineContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.predefined)) if (!NOT_FOR_INCLUDES.test(k)) out[k] = v;
  for (const [k, v] of Object.entries(ctx.userVariables)) out[k] = v.value;
  return out;
}

export function expandIncludeLocation(value: string, vars: Record<string, string>): string {
  if (!value.includes('$') && !value.includes('%')) return value;
  return value.replace(REFERENCE, (_raw, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    return Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : '';
  });
}
