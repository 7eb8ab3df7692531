// Human and JSON renderings of check results, single-file reports and the target list.
import type { CheckResult, FileResult } from './check.js';
import { compareVersions, parseVersionName } from './families.js';
import type { AbiReport } from './report.js';
import type { Target } from './targets.js';

export function checkToJson(r: CheckResult): unknown {
  return {
    ok: r.ok,
    targets: r.targets,
    files: r.files.map(fileToJson),
    skipped: r.skipped,
    errors: r.errors,
  };
}

function fileToJson(f: FileResult): unknown {
  const rep = f.report;
  return {
    file: rep.file,
    ok: f.ok,
    arch: rep.arch,
    elfClass: rep.elfClass,
    endian: rep.endian,
    type: rep.type,
    linkage: rep.linkage,
    libc: rep.libc,
    languages: rep.languages,
    interpreter: rep.interpreter ?? null,
    minGlibc: rep.minGlibc ?? null,
    maxGlibcxx: rep.maxGlibcxx ?? null,
    maxCxxabi: rep.maxCxxabi ?? null,
    maxGcc: rep.maxGcc ?? null,
    kernelFloor: rep.kernelFloor ?? null,
    needed: rep.needed,
    maxVersions: rep.maxVersions,
    warnings: rep.warnings,
    verdicts: f.verdicts.map((v) => ({
      target: v.target,
      ok: v.ok,
      missingLibraries: v.failures.flatMap((x) => (x.library ? [x.library] : [])),
      failures: v.failures,
      warnings: v.warnings,
    })),
  };
}

export function formatCheck(r: CheckResult): string {
  const lines: string[] = [];
  for (const f of r.files) {
    const rep = f.report;
    const facts = [rep.arch, rep.libc === 'unknown' ? 'libc ?' : rep.libc, rep.linkage];
    if (rep.languages.length) facts.push(rep.languages.join('+'));
    if (rep.minGlibc) facts.push(`min glibc ${rep.minGlibc}`);
    if (rep.maxGlibcxx) facts.push(`max GLIBCXX ${rep.maxGlibcxx}`);
    lines.push(`${rep.file}  ${facts.join(', ')}`);
    for (const v of f.verdicts) {
      if (v.ok) lines.push(`  ok    ${v.target}`);
      for (const x of v.failures) {
        if (x.kind !== 'library') lines.push(`  FAIL  ${v.target}: ${x.message}${x.hint ? `: ${x.hint}` : ''}`);
      }
      const libs = v.failures.flatMap((x) => (x.library ? [x.library] : []));
      if (libs.length) {
        const hint = v.failures.find((x) => x.kind === 'library')?.hint;
        lines.push(
          `  FAIL  ${v.target}: needs ${libs.join(', ')}, not in ${v.target}'s base system${hint ? `: ${hint}` : ''}`,
        );
      }
      for (const x of v.warnings) lines.push(`  warn  ${v.target}: ${x.message}`);
    }
  }
  for (const e of r.errors) lines.push(`${e.path}  ERROR: ${e.message}`);
  const failed = r.files.filter((f) => !f.ok).length;
  const skipped = r.skipped.length ? `, ${r.skipped.length} skipped (not ELF or not runnable)` : '';
  const errs = r.errors.length ? `, ${r.errors.length} unreadable or malformed` : '';
  lines.push(
    `${r.files.length} ELF file(s) checked against ${r.targets.join(', ')}: ` +
      `${failed === 0 && r.errors.length === 0 ? 'all pass' : `${failed} fail`}${skipped}${errs}`,
  );
  return lines.join('\n');
}

export function formatShow(r: AbiReport): string {
  const L: string[] = [];
  L.push(`File: ${r.file} (${r.size} bytes)`);
  L.push(`  Class: ELF${r.elfClass}  Data: ${r.endian}-endian  Type: ${r.type}  Machine: ${r.arch} (${r.machine})`);
  if (r.interpreter) L.push(`  Interpreter: ${r.interpreter}`);
  L.push(
    `  Linkage: ${r.linkage}  libc: ${r.libc}${r.languages.length ? `  Language: ${r.languages.join(', ')}` : ''}`,
  );
  if (r.kernelFloor) L.push(`  Kernel floor (NT_GNU_ABI_TAG): ${r.kernelFloor}`);
  if (r.buildId) L.push(`  Build ID: ${r.buildId}`);
  if (r.goBuildId) L.push(`  Go build ID: ${r.goBuildId}`);
  L.push(
    `  Section headers: ${r.hasSectionHeaders ? 'present' : 'absent'}` +
      (r.dynamicSymbolCount !== undefined
        ? `  Dynamic symbols: ${r.dynamicSymbolCount} (counted from ${r.dynamicSymbolCountSource})`
        : ''),
  );
  if (r.usesRelr) L.push('  Relocations: DT_RELR (packed relative)');
  for (const c of r.compilers) L.push(`  Producer: ${c}`);
  if (r.needed.length || r.soname || r.rpath || r.runpath) {
    L.push('Dynamic section:');
    for (const n of r.needed) L.push(`  NEEDED   ${n}`);
    if (r.soname) L.push(`  SONAME   ${r.soname}`);
    if (r.rpath) L.push(`  RPATH    ${r.rpath}`);
    if (r.runpath) L.push(`  RUNPATH  ${r.runpath}`);
  }
  if (r.requirements.length) {
    L.push('Version needs:');
    const libs = [...new Set(r.requirements.map((q) => q.library))];
    for (const lib of libs) {
      L.push(`  ${lib}`);
      const reqs = r.requirements
        .filter((q) => q.library === lib)
        .sort((a, b) => {
          const pa = parseVersionName(a.version).number;
          const pb = parseVersionName(b.version).number;
          return pa && pb ? compareVersions(pb, pa) : a.version.localeCompare(b.version);
        });
      for (const q of reqs) {
        const name = `${q.version}${q.weak ? ' (weak)' : ''}`;
        const syms =
          q.symbols.length > 6 ? `${q.symbols.slice(0, 6).join(', ')} +${q.symbols.length - 6}` : q.symbols.join(', ');
        L.push(`    ${name.padEnd(24)} ${syms}`);
      }
    }
  }
  const fams = Object.values(r.maxVersions);
  if (fams.length) {
    L.push('Highest versions:');
    for (const m of fams) if (m) L.push(`  ${m.name.padEnd(24)} ${m.symbols.join(', ')}`);
  }
  for (const w of r.warnings) L.push(`warning: ${w}`);
  return L.join('\n');
}

export function formatTargets(targets: Target[]): string {
  const rows = targets.map((t) => [
    t.id,
    t.libc,
    t.glibc ?? '-',
    t.glibcxx ?? '?',
    t.cxxabi ?? '?',
    t.kernel ?? '?',
    t.aliases.join(',') || '-',
    t.origin === 'builtin' ? t.source : `${t.source} [${t.origin}]`,
  ]);
  const head = ['TARGET', 'LIBC', 'GLIBC', 'GLIBCXX', 'CXXABI', 'KERNEL', 'ALIASES', 'SOURCE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 7 ? 0 : r[i].length))));
  const line = (r: string[]): string => r.map((c, i) => (i === 7 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}
