// Decides whether one analysed file runs on one target, with the reason, the symbols responsible and a fix.
import { compareVersions, parseVersionName, type Family } from './families.js';
import type { AbiReport } from './report.js';
import type { Target, TargetDb } from './targets.js';

export type FindingKind =
  'arch' | 'libc' | 'kernel' | 'glibc' | 'glibcxx' | 'cxxabi' | 'gcc' | 'glibc-private' | 'relr' | 'library';

export interface Finding {
  kind: FindingKind;
  message: string;
  /** Responsible symbols as name@VERSION. */
  symbols: string[];
  hint?: string;
  /** For kind 'library': the soname the target does not provide. */
  library?: string;
}

export interface Verdict {
  target: string;
  ok: boolean;
  failures: Finding[];
  /** Things kiln could not check or that only matter in some setups (weak versions, unknown ceilings). */
  warnings: Finding[];
}

export interface VerdictContext {
  /** File names shipped alongside the checked files (bundled libraries count as provided). */
  bundled: Set<string>;
  /** Sonames the user accepts as provided (--allow-lib). */
  allowed: Set<string>;
}

const CEILINGS: Array<{
  family: Family;
  field: 'glibc' | 'glibcxx' | 'cxxabi' | 'gccRuntime';
  kind: FindingKind;
  label: string;
}> = [
  { family: 'GLIBC', field: 'glibc', kind: 'glibc', label: 'glibc' },
  { family: 'GLIBCXX', field: 'glibcxx', kind: 'glibcxx', label: 'libstdc++' },
  { family: 'CXXABI', field: 'cxxabi', kind: 'cxxabi', label: 'libstdc++ (CXXABI)' },
  { family: 'GCC', field: 'gccRuntime', kind: 'gcc', label: 'libgcc_s' },
];

const LIBC_SONAME =
  /^(?:libc|libm|libdl|libpthread|librt|libutil|libresolv|libanl|libnsl|libcrypt)\.so(?:\.\d+)?$|^ld-|^libc\.musl-/;

export function judge(r: AbiReport, t: Target, db: TargetDb, ctx: VerdictContext): Verdict {
  const failures: Finding[] = [];
  const warnings: Finding[] = [];
  const fail = (f: Omit<Finding, 'symbols'> & { symbols?: string[] }): void => {
    failures.push({ symbols: [], ...f });
  };

  if (t.arches.length && !t.arches.includes(r.arch)) {
    fail({ kind: 'arch', message: `${r.arch} binary; ${t.id} runs ${t.arches.join(', ')}` });
  }
  const base = db.archBaselines[r.arch];
  if (t.libc === 'glibc' && base && t.glibc && compareVersions(base, t.glibc) > 0) {
    fail({ kind: 'arch', message: `glibc's ${r.arch} port starts at ${base}; ${t.id} has glibc ${t.glibc}` });
  }
  const isStatic = r.linkage === 'static' || r.linkage === 'static-pie';
  if (!isStatic) {
    if (r.libc === 'musl' && t.libc === 'glibc') {
      fail({
        kind: 'libc',
        message: `built for musl (${r.interpreter ?? r.needed.join(', ')}); ${t.id} uses glibc`,
        hint: 'build against glibc with an old enough sysroot, or link statically',
      });
    } else if (r.libc === 'glibc' && t.libc === 'musl') {
      fail({
        kind: 'libc',
        message: `built for glibc (${r.interpreter ?? 'libc.so.6'}); ${t.id} uses musl`,
        hint: 'build with a musl toolchain (e.g. on Alpine or musl-gcc), or link statically',
      });
    }
  }
  if (r.kernelFloor && t.kernel && compareVersions(r.kernelFloor, t.kernel) > 0) {
    fail({
      kind: 'kernel',
      message: `needs Linux ${r.kernelFloor} (NT_GNU_ABI_TAG); ${t.id} ships ${t.kernel}`,
      hint: 'build with a C library configured for an older minimum kernel',
    });
  }

  if (t.libc === 'glibc') {
    for (const c of CEILINGS) checkCeiling(r, t, db, c, fail, warnings);
    const priv = r.maxVersions.GLIBC_PRIVATE;
    if (priv) {
      fail({
        kind: 'glibc-private',
        message: `uses GLIBC_PRIVATE (from ${list(priv.symbols)}): glibc-internal, only works with the exact glibc it was linked against`,
        symbols: priv.symbols.map((s) => `${s}@GLIBC_PRIVATE`),
        hint: 'do not link against glibc internals; use public interfaces',
      });
    }
    const relr = r.maxVersions.GLIBC_ABI_DT_RELR;
    if (relr && t.glibc && compareVersions(t.glibc, '2.36') < 0) {
      fail({
        kind: 'relr',
        message: `needs GLIBC_ABI_DT_RELR (packed relative relocations, glibc 2.36+); ${t.id} has glibc ${t.glibc}`,
        hint: 'link without -z pack-relative-relocs',
      });
    }
  }

  const libcMismatch = failures.some((x) => x.kind === 'libc');
  for (const lib of r.needed) {
    if (t.sonames.includes(lib) || ctx.bundled.has(lib) || ctx.allowed.has(lib)) continue;
    // The libc mismatch above already explains the C library's own sonames.
    if (libcMismatch && LIBC_SONAME.test(lib)) continue;
    fail({
      kind: 'library',
      library: lib,
      message: `needs ${lib}, which ${t.id}'s base system does not provide`,
      hint: 'bundle it next to the binary (RPATH $ORIGIN), depend on the package that provides it, or pass --allow-lib',
    });
  }
  return { target: t.id, ok: failures.length === 0, failures, warnings };
}

function checkCeiling(
  r: AbiReport,
  t: Target,
  db: TargetDb,
  c: (typeof CEILINGS)[number],
  fail: (f: Omit<Finding, 'symbols'> & { symbols?: string[] }) => void,
  warnings: Finding[],
): void {
  const max = r.maxVersions[c.family];
  if (!max?.number) return;
  const ceiling = t[c.field];
  if (ceiling === null) {
    warnings.push({
      kind: c.kind,
      message: `needs ${max.name}; ${t.id}'s ${c.label} level is not in the database (unchecked)`,
      symbols: [],
    });
    return;
  }
  const over = r.requirements
    .map((q) => ({ q, p: parseVersionName(q.version) }))
    .filter(({ p }) => p.family === c.family && p.number && compareVersions(p.number, ceiling) > 0)
    .sort((a, b) => compareVersions(b.p.number as string, a.p.number as string));
  if (over.length === 0) return;
  const hard = over.filter(({ q }) => !q.weak);
  const top = (hard[0] ?? over[0]).q;
  const symbols = [...new Set(over.flatMap(({ q }) => q.symbols.map((s) => `${s}@${q.version}`)))];
  const others = [...new Set(over.map(({ q }) => q.version).filter((v) => v !== top.version))].map((v) => {
    const syms = [...new Set(over.filter(({ q }) => q.version === v).flatMap(({ q }) => q.symbols))];
    return syms.length ? `${v} (${list(syms, 2)})` : v;
  });
  const from = top.symbols.length ? ` (from ${list(top.symbols)})` : '';
  const also = others.length ? `; also ${others.join(', ')}` : '';
  const message = `needs ${top.version}${from}${also}; ${t.id} has ${c.label} ${ceiling}`;
  const finding: Finding = {
    kind: c.kind,
    message,
    symbols,
    hint: hintFor(c.kind, top.version, top.symbols, t, db, r.arch),
  };
  if (hard.length === 0) warnings.push({ ...finding, message: `${message} (weak: the loader only warns)` });
  else fail(finding);
}

function hintFor(kind: FindingKind, version: string, symbols: string[], t: Target, db: TargetDb, arch: string): string {
  if (kind === 'glibc' && t.glibc) {
    const base = db.archBaselines[arch] ?? '0';
    const sys = [...db.sysroots]
      .reverse()
      .find((s) => compareVersions(s.glibc, t.glibc as string) <= 0 && compareVersions(s.glibc, base) >= 0);
    let why = '';
    if (version === 'GLIBC_2.34' && symbols.includes('__libc_start_main'))
      why = ' (start files of glibc 2.34+ always reference __libc_start_main@GLIBC_2.34)';
    else if (version === 'GLIBC_2.29' && symbols.some((s) => /^(exp|exp2|log|log2|pow)f?$/.test(s)))
      why = ' (glibc 2.29 gave exp/log/pow new symbol versions)';
    return sys
      ? `link against an older sysroot, e.g. ${sys.name} for ${sys.glibc}${why}`
      : `build on ${t.name} or with its glibc ${t.glibc}${why}`;
  }
  if (kind === 'glibcxx' || kind === 'cxxabi')
    return `link with -static-libstdc++, or build with a GCC whose libstdc++ is not newer than ${t.id}'s`;
  if (kind === 'gcc') return `link with -static-libgcc, or build with GCC ${t.gccRuntime ?? ''} or older`.trim();
  return '';
}

function list(symbols: string[], max = 4): string {
  if (symbols.length === 0) return 'no versioned symbol';
  return symbols.length <= max
    ? symbols.join(', ')
    : `${symbols.slice(0, max).join(', ')} and ${symbols.length - max} more`;
}
