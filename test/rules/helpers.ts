// Small builders for rules / only-except tests.
import type { FileContext, OnlyExceptSpec, RuleSpec } from '../../src/pipeline/rules/types.js';
import type { PipelineContext } from '../../src/pipeline/model.js';
import { globMatcher } from '../../src/pipeline/context/glob.js';

export const pos = { file: '.gitlab-ci.yml', line: 3, col: 5 };

export function rule(r: Omit<RuleSpec, 'position'>): RuleSpec {
  return { position: pos, ...r };
}

export function spec(s: Partial<Omit<OnlyExceptSpec, 'position'>>): OnlyExceptSpec {
  return { position: pos, refs: [], variables: [], changes: [], ...s };
}

export function files(
  changed: string[] | 'all',
  present: string[] = [],
  since: Record<string, string[] | 'all'> = {},
): FileContext {
  return {
    projectDir: '/p',
    changedFiles: changed,
    exists: (glob) => present.some(globMatcher(glob)),
    changedSince: (ref) => {
      if (!(ref in since)) throw new Error(`compare_to: "${ref}" is not a valid ref`);
      return since[ref];
    },
  };
}

export function context(o: { ref?: string; isTag?: boolean; source?: string; path?: string } = {}): PipelineContext {
  const ref = o.ref ?? 'main';
  const predefined: Record<string, string> = {
    CI_PROJECT_PATH: o.path ?? 'group/project',
    CI_COMMIT_REF_NAME: ref,
    CI_PIPELINE_SOURCE: o.source ?? 'push',
  };
  if (o.isTag) predefined.CI_COMMIT_TAG = ref;
  else predefined.CI_COMMIT_BRANCH = ref;
  return { ref, isTag: o.isTag ?? false, source: o.source ?? 'push', predefined, userVariables: {} };
}
