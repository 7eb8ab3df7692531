// `coverage:` — the job's code coverage, read from its log as GitLab does: the regex is applied to each line, from
// the last line up; in the first line that matches, the last match (or its last capture group) is taken and the
// first number in it is the coverage (GitLab docs, "coverage" keyword: "If there is more than one matched line in
// the job output, the last line is used"; the number is the first decimal in the match). GitLab compiles the
// pattern with RE2; so does kiln (pipeline/expr/regex.ts), and the log is read with colours stripped, as shown.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { compileRe2, lastRe2Match } from '../../pipeline/expr/re2.js';
import { stripAnsi } from '../output/ansi.js';

export class CoverageRegexError extends Error {}

export interface CoverageRegex {
  body: string;
  flags: string;
}

/** `/body/flags` as written in YAML, checked by RE2 (GitLab's engine for it: linear time on any log line). */
export function coverageRegex(pattern: string): CoverageRegex {
  const m = /^\/(.*)\/([a-zA-Z]*)$/s.exec(pattern.trim());
  if (!m) throw new CoverageRegexError(`coverage: "${pattern}" should be a regular expression between slashes`);
  try {
    compileRe2(m[1], m[2]);
  } catch (e) {
    throw new CoverageRegexError(`coverage: ${(e as Error).message}`);
  }
  return { body: m[1], flags: m[2] };
}

/** The coverage in one line, or undefined. */
export function coverageInLine(line: string, re: CoverageRegex): string | undefined {
  const last = lastRe2Match(re.body, re.flags, line);
  if (!last) return undefined;
  const groups = last.slice(1).filter((g): g is string => g !== null && g !== undefined);
  const text = groups.length ? groups[groups.length - 1] : (last[0] ?? '');
  return /\d+(?:\.\d+)?/.exec(text)?.[0];
}

/** Reads the log (one pass, a line at a time) and keeps the coverage of the last line that has one. */
export async function coverageFromLog(logPath: string, pattern: string): Promise<number | undefined> {
  const re = coverageRegex(pattern);
  let found: string | undefined;
  const lines = createInterface({ input: createReadStream(logPath, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const raw of lines) {
    // Log lines are "<timestamp> <O|E|K> <text>"; section markers carry no output.
    const m = /^\S+ [OEK] (.*)$/.exec(raw);
    if (!m) continue;
    const value = coverageInLine(stripAnsi(m[1]), re);
    if (value !== undefined) found = value;
  }
  return found === undefined ? undefined : Number(found);
}
