// Normalised forms of `rules:` and `only:`/`except:` entries, shared by the loader (which builds them from YAML)
// and the evaluators (which decide whether a job is created).
import type { SourcePosition } from '../../errors.js';
import type { AutoCancelSpec, When, Variables } from '../model.js';

export interface RuleSpec {
  position: SourcePosition;
  /** rules:if expression source, unparsed. */
  if?: string;
  changes?: { paths: string[]; compareTo?: string };
  exists?: { paths: string[]; project?: string; ref?: string };
  when?: When;
  startIn?: string;
  allowFailure?: boolean | { exitCodes: number[] };
  variables?: Variables;
  /** rules:needs, raw (the loader resolves names). */
  needs?: unknown[];
  /** rules:interruptible (job rules). */
  interruptible?: boolean;
  /** workflow:rules:auto_cancel. */
  autoCancel?: AutoCancelSpec;
}

export interface RuleOutcome {
  /** false when no rule matched (the job is not created). */
  matched: boolean;
  /** 0-based index of the first matching rule. */
  index?: number;
  rule?: RuleSpec;
  /** when of the matching rule (undefined: use the job's own when). */
  when?: When;
  /** Human-readable explanation, e.g. "rules[2]: if `$CI_COMMIT_TAG` is false" or "rules[0] matched". */
  explanation: string;
}

export interface OnlyExceptSpec {
  position: SourcePosition;
  /** refs: branches, tags, pipeline sources (pushes, schedules, ...), /regex/, ref@project. */
  refs: string[];
  /** variables expressions (each as in rules:if). */
  variables: string[];
  changes: string[];
  kubernetes?: string;
}

/** What rules:changes / rules:exists / only:changes need to know about the repository. */
export interface FileContext {
  projectDir: string;
  /**
   * Files changed by the push, relative to projectDir; 'all' when GitLab would treat every `changes` check as
   * true (first push of a branch with no before-SHA, tags, schedules, web pipelines...).
   */
  changedFiles: string[] | 'all';
  /** True when a file matching the glob exists (relative to projectDir). */
  exists(glob: string): boolean;
  /**
   * Files changed between `ref` and the pipeline commit (rules:changes:compare_to); 'all' when GitLab treats
   * changes as true for this pipeline (tags, schedules, web...). Throws when the ref does not exist.
   * Optional: without it, compare_to falls back to changedFiles.
   */
  changedSince?(ref: string): string[] | 'all';
}
