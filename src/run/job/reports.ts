// artifacts:reports: dotenv (variables passed to dependent jobs) and junit (test counts for the summary).
import { readFile } from 'node:fs/promises';
import { dict } from '../../util/dict.js';

export interface JunitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

/** GitLab's dotenv report format: KEY=VALUE per line, no export, optional surrounding quotes. */
export function parseDotenvReport(text: string): { vars: Record<string, string>; warnings: string[] } {
  const vars: Record<string, string> = dict();
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) {
      warnings.push(`line ${i + 1}: not KEY=VALUE: ${line.slice(0, 60)}`);
      return;
    }
    let v = m[2];
    if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))))
      v = v.slice(1, -1);
    vars[m[1]] = v;
  });
  return { vars, warnings };
}

/** Counts test cases, failures, errors and skips in a JUnit XML report. */
export function countJunit(xml: string): JunitCounts {
  const counts: JunitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const re = /<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml))) {
    counts.tests++;
    const body = m[2] ?? '';
    if (/<failure\b/.test(body)) counts.failures++;
    else if (/<error\b/.test(body)) counts.errors++;
    else if (/<skipped\b/.test(body)) counts.skipped++;
  }
  return counts;
}

export async function readJunitFiles(paths: string[]): Promise<JunitCounts> {
  const total: JunitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const p of paths) {
    const c = countJunit(await readFile(p, 'utf8'));
    total.tests += c.tests;
    total.failures += c.failures;
    total.errors += c.errors;
    total.skipped += c.skipped;
  }
  return total;
}
