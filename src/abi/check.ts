// `kiln abi check` as a library call: walk the paths, read every ELF file, judge it against each target.
import { analyzeFile } from './analyze.js';
import { ElfError } from './errors.js';
import type { AbiReport } from './report.js';
import type { Target, TargetDb } from './targets.js';
import { judge, type Verdict } from './verdict.js';
import { walkPaths } from './walk.js';

export interface FileResult {
  report: AbiReport;
  verdicts: Verdict[];
  ok: boolean;
}

export interface CheckResult {
  targets: string[];
  files: FileResult[];
  /** Files that are not ELF, or ELF objects that are not run (relocatable objects, core dumps). */
  skipped: Array<{ path: string; reason: string }>;
  errors: Array<{ path: string; message: string }>;
  ok: boolean;
}

export interface CheckOptions {
  allowLibs?: string[];
}

export function checkPaths(paths: string[], targets: Target[], db: TargetDb, opts: CheckOptions = {}): CheckResult {
  const walked = walkPaths(paths);
  const result: CheckResult = {
    targets: targets.map((t) => t.id),
    files: [],
    skipped: [...walked.skipped],
    errors: [...walked.errors],
    ok: true,
  };
  const reports: AbiReport[] = [];
  for (const file of walked.files) {
    let report: AbiReport | null;
    try {
      report = analyzeFile(file);
    } catch (err) {
      if (!(err instanceof ElfError)) throw err;
      result.errors.push({ path: file, message: err.detail });
      continue;
    }
    if (!report) {
      result.skipped.push({ path: file, reason: 'not ELF' });
      continue;
    }
    if (report.type === 'relocatable' || report.type === 'core') {
      result.skipped.push({ path: file, reason: `ELF ${report.type} file` });
      continue;
    }
    reports.push(report);
  }
  const bundled = new Set(walked.names);
  for (const r of reports) if (r.soname) bundled.add(r.soname);
  const ctx = { bundled, allowed: new Set(opts.allowLibs ?? []) };
  for (const report of reports) {
    const verdicts = targets.map((t) => judge(report, t, db, ctx));
    const ok = verdicts.every((v) => v.ok);
    result.files.push({ report, verdicts, ok });
  }
  result.ok = result.errors.length === 0 && result.files.every((f) => f.ok);
  return result;
}
