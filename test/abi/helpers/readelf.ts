// Parses `readelf -V -W`, `readelf -d -W` and `readelf --dyn-syms -W` output, the reference the reader is compared with.
import assert from 'node:assert/strict';
import type { AbiReport } from '../../../src/abi/report.js';
import { run } from './toolchain.js';

export interface ReadelfNeeds {
  library: string;
  version: string;
  weak: boolean;
}

export function readelfVersionNeeds(file: string): ReadelfNeeds[] {
  const out: ReadelfNeeds[] = [];
  let lib = '';
  for (const line of run('readelf', ['-V', '-W', file]).split('\n')) {
    const f = /File: (\S+)\s+Cnt:/.exec(line);
    if (f) lib = f[1];
    const n = /Name: (\S+)\s+Flags: (.+?)\s+Version: \d+/.exec(line);
    if (n) out.push({ library: lib, version: n[1], weak: /WEAK/i.test(n[2]) });
  }
  return out;
}

export function readelfDynamic(file: string): { needed: string[]; soname?: string; runpath?: string; rpath?: string } {
  const r: { needed: string[]; soname?: string; runpath?: string; rpath?: string } = { needed: [] };
  for (const line of run('readelf', ['-d', '-W', file]).split('\n')) {
    const m = /\((NEEDED|SONAME|RUNPATH|RPATH)\)\s+[^[]*\[(.*)\]/.exec(line);
    if (!m) continue;
    if (m[1] === 'NEEDED') r.needed.push(m[2]);
    else if (m[1] === 'SONAME') r.soname = m[2];
    else if (m[1] === 'RUNPATH') r.runpath = m[2];
    else r.rpath = m[2];
  }
  return r;
}

/** name@VERSION pairs of dynamic symbols bound to a required (not defined) version. */
export function readelfVersionedSymbols(file: string): Set<string> {
  const out = new Set<string>();
  for (const line of run('readelf', ['--dyn-syms', '-W', file]).split('\n')) {
    const m = /\s([^@\s]+)(@@?)(\S+) \(\d+\)\s*$/.exec(line);
    if (m && m[2] === '@') out.add(`${m[1]}@${m[3]}`);
  }
  return out;
}

/** Our version needs, dynamic entries and symbol attribution must equal readelf's. */
export function assertMatchesReadelf(file: string, r: AbiReport): void {
  const ref = readelfVersionNeeds(file);
  const ours = r.requirements.map((q) => ({ library: q.library, version: q.version, weak: q.weak }));
  const key = (x: { library: string; version: string; weak: boolean }) => `${x.library} ${x.version} ${x.weak}`;
  assert.deepEqual(ours.map(key).sort(), ref.map(key).sort(), `version needs of ${file}`);
  const dyn = readelfDynamic(file);
  assert.deepEqual(r.needed, dyn.needed);
  assert.equal(r.soname, dyn.soname);
  assert.equal(r.runpath, dyn.runpath);
  assert.equal(r.rpath, dyn.rpath);
  const required = new Set(ref.map((x) => x.version));
  const refSyms = [...readelfVersionedSymbols(file)]
    .filter((s) => required.has(s.slice(s.lastIndexOf('@') + 1)))
    .sort();
  const ourSyms = r.requirements.flatMap((q) => q.symbols.map((s) => `${s}@${q.version}`)).sort();
  assert.deepEqual(ourSyms, refSyms, `symbols per version of ${file}`);
}
