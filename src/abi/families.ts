// Version families (GLIBC_, GLIBCXX_, CXXABI_, GCC_ ...) and numeric version comparison.

export type Family = 'GLIBC' | 'GLIBCXX' | 'CXXABI' | 'GCC' | 'GLIBC_PRIVATE' | 'GLIBC_ABI_DT_RELR' | 'other';

export interface ParsedVersion {
  family: Family;
  /** Dotted numeric part ("2.34"), absent for GLIBC_PRIVATE, GLIBC_ABI_DT_RELR and unknown names. */
  number?: string;
}

const NUMBERED: Array<[Family, RegExp]> = [
  ['GLIBCXX', /^GLIBCXX_(\d+(?:\.\d+)*)$/],
  ['GLIBC', /^GLIBC_(\d+(?:\.\d+)*)$/],
  ['CXXABI', /^CXXABI_(\d+(?:\.\d+)*)$/],
  ['GCC', /^GCC_(\d+(?:\.\d+)*)$/],
];

export function parseVersionName(name: string): ParsedVersion {
  if (name === 'GLIBC_PRIVATE') return { family: 'GLIBC_PRIVATE' };
  if (name === 'GLIBC_ABI_DT_RELR') return { family: 'GLIBC_ABI_DT_RELR' };
  for (const [family, re] of NUMBERED) {
    const m = re.exec(name);
    if (m) return { family, number: m[1] };
  }
  return { family: 'other' };
}

/** Compares dotted numeric versions: "2.9" < "2.17" < "2.17.1". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function isVersionString(s: string): boolean {
  return /^\d+(?:\.\d+)*$/.test(s);
}
