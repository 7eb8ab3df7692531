// only/except evaluation as GitLab does it. Each key (refs, variables, changes, kubernetes) is one condition:
// the job is created when every `only` key holds and no `except` key holds. Without `only`, the job behaves as
// `only: [branches, tags]`. Within a key, any entry is enough.
import { anyMatch } from '../context/glob.js';
import { compileRegex, type TextPattern } from '../expr/index.js';
import type { PipelineContext } from '../model.js';
import { checkExpression } from './expression-check.js';
import type { FileContext, OnlyExceptSpec } from './types.js';

type Vars = Record<string, string | undefined>;

const DEFAULT_ONLY_REFS = ['branches', 'tags'];
const RUBY_REGEX = /^\/(.*)\/([ismU]*)$/s;

/** The source name GitLab compares refs with: "merge_request_event" → "merge_request". */
function sourceName(source: string): string {
  return source.endsWith('_event') ? source.slice(0, -'_event'.length) : source;
}

function pluralize(word: string): string {
  if (word.endsWith('sh') || word.endsWith('ch') || word.endsWith('s') || word.endsWith('x')) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

const regexCache = new Map<string, TextPattern | null>();

function refRegex(pattern: string): TextPattern | null {
  if (regexCache.has(pattern)) return regexCache.get(pattern)!;
  const m = RUBY_REGEX.exec(pattern);
  let re: TextPattern | null = null;
  if (m) {
    try {
      re = compileRegex(m[1], m[2], 'ruby');
    } catch {
      re = null; // GitLab then compares the pattern literally with the ref
    }
  }
  regexCache.set(pattern, re);
  return re;
}

export function refMatches(entry: string, ctx: PipelineContext): boolean {
  const at = entry.indexOf('@');
  const pattern = at < 0 ? entry : entry.slice(0, at);
  const path = at < 0 ? undefined : entry.slice(at + 1);
  if (path !== undefined && ctx.predefined.CI_PROJECT_PATH !== path) return false;
  const isMr = ctx.source === 'merge_request_event';
  const isBranch = !ctx.isTag && !isMr;
  if (ctx.isTag && pattern === 'tags') return true;
  if (isBranch && pattern === 'branches') return true;
  const src = sourceName(ctx.source);
  if (pattern === src || pattern === pluralize(src)) return true;
  if (!isBranch && !ctx.isTag) return false;
  const re = refRegex(pattern);
  if (re) return ctx.ref !== '' && re.test(ctx.ref);
  return pattern === ctx.ref;
}

/** undefined when the spec sets no condition; otherwise whether all its keys (only) / which key (except) hold. */
function keyResults(
  spec: OnlyExceptSpec,
  which: 'only' | 'except',
  vars: Vars,
  ctx: PipelineContext,
  files: FileContext,
): { key: string; ok: boolean }[] {
  const out: { key: string; ok: boolean }[] = [];
  if (spec.refs.length) out.push({ key: 'refs', ok: spec.refs.some((r) => refMatches(r, ctx)) });
  if (spec.variables.length) {
    out.push({
      key: 'variables',
      ok: spec.variables.some((v, i) => checkExpression(v, vars, spec.position, [which, 'variables', String(i)])),
    });
  }
  if (spec.changes.length) {
    out.push({ key: 'changes', ok: files.changedFiles === 'all' || anyMatch(spec.changes, files.changedFiles) });
  }
  if (spec.kubernetes !== undefined) out.push({ key: 'kubernetes', ok: false }); // no cluster locally
  return out;
}

/**
 * `defaultOnly: false` when the pipeline has `workflow:rules`: GitLab then drops the `only: [branches, tags]`
 * default (Processable#compose!), so a job without `only` passes the refs check in every pipeline.
 */
export function evaluateOnlyExcept(
  only: OnlyExceptSpec | undefined,
  except: OnlyExceptSpec | undefined,
  vars: Vars,
  ctx: PipelineContext,
  files: FileContext,
  defaultOnly = true,
): { created: boolean; reason: string } {
  const onlyResults = only
    ? keyResults(only, 'only', vars, ctx, files)
    : defaultOnly
      ? [{ key: 'refs', ok: DEFAULT_ONLY_REFS.some((r) => refMatches(r, ctx)) }]
      : [];
  const failedOnly = onlyResults.find((r) => !r.ok);
  if (failedOnly) {
    const what = only ? `only:${failedOnly.key}` : 'only: [branches, tags] (default)';
    return { created: false, reason: `${what} not satisfied` };
  }
  if (except) {
    const hit = keyResults(except, 'except', vars, ctx, files).find((r) => r.ok);
    if (hit) return { created: false, reason: `except:${hit.key} matched` };
  }
  return {
    created: true,
    reason: only
      ? 'only: satisfied'
      : defaultOnly
        ? 'only: [branches, tags] (default)'
        : 'no only: default (workflow:rules exist)',
  };
}
