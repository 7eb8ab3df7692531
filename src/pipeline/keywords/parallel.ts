// `parallel: N` and `parallel:matrix` → the list of instances GitLab creates, with GitLab's job names.
import type { ParallelInfo } from '../model.js';
import type { YNode } from '../yaml/node.js';
import { checkKeys, Problems, readInt, scalarText } from './check.js';

export const MAX_PARALLEL = 200;

export type MatrixEntry = Array<[string, string[]]>;

export type ParallelSpec = { kind: 'count'; total: number } | { kind: 'matrix'; entries: MatrixEntry[] };

export function readParallel(p: Problems, n: YNode, path: string[]): ParallelSpec | undefined {
  if (n.kind === 'scalar') {
    const total = readInt(p, n, path, 1, MAX_PARALLEL);
    return total === undefined ? undefined : { kind: 'count', total };
  }
  if (n.kind !== 'map') {
    p.add(n, path, 'should be an integer or a hash');
    return undefined;
  }
  checkKeys(p, n, path, ['matrix']);
  const m = n.entries.get('matrix')?.value;
  if (!m) {
    p.add(n, path, 'matrix is required');
    return undefined;
  }
  const entries = readMatrix(p, m, [...path, 'matrix']);
  if (!entries) return undefined;
  const total = entries.reduce((sum, e) => sum + e.reduce((prod, [, vs]) => prod * vs.length, 1), 0);
  if (total > MAX_PARALLEL) {
    p.add(m, [...path, 'matrix'], `generates too many jobs (maximum is ${MAX_PARALLEL}, got ${total})`);
    return undefined;
  }
  return { kind: 'matrix', entries };
}

export function readMatrix(p: Problems, m: YNode, path: string[]): MatrixEntry[] | undefined {
  if (m.kind !== 'seq') {
    p.add(m, path, 'should be an array of hashes');
    return undefined;
  }
  const entries: MatrixEntry[] = [];
  let ok = true;
  m.items.forEach((it, i) => {
    const ip = [...path, String(i)];
    if (it.kind !== 'map') {
      p.add(it, ip, 'should be a hash');
      ok = false;
      return;
    }
    const entry: MatrixEntry = [];
    for (const e of it.entries.values()) {
      const vals = e.value.kind === 'seq' ? e.value.items : [e.value];
      const strs: string[] = [];
      for (const v of vals) {
        const s = scalarText(v);
        if (s === undefined) {
          p.add(v, [...ip, e.key], 'should be a string, a number or an array of them');
          ok = false;
        } else strs.push(s);
      }
      entry.push([e.key, strs]);
    }
    entries.push(entry);
  });
  return ok ? entries : undefined;
}

export interface Instance {
  name: string;
  parallel?: ParallelInfo;
}

/** Every combination of one matrix entry, in key order (the first key varies slowest). */
export function combinations(entry: MatrixEntry): Array<Record<string, string>> {
  let out: Array<Record<string, string>> = [{}];
  for (const [key, values] of entry) {
    const next: Array<Record<string, string>> = [];
    for (const base of out) for (const v of values) next.push({ ...base, [key]: v });
    out = next;
  }
  return out;
}

export function matrixName(base: string, values: Record<string, string>): string {
  return `${base}: [${Object.values(values).join(', ')}]`;
}

export function instancesOf(base: string, spec: ParallelSpec | undefined): Instance[] {
  if (!spec) return [{ name: base }];
  if (spec.kind === 'count') {
    if (spec.total === 1) return [{ name: base }];
    return Array.from({ length: spec.total }, (_, i) => ({
      name: `${base} ${i + 1}/${spec.total}`,
      parallel: { index: i + 1, total: spec.total },
    }));
  }
  const all = spec.entries.flatMap(combinations);
  return all.map((values, i) => ({
    name: matrixName(base, values),
    parallel: { index: i + 1, total: all.length, matrix: values },
  }));
}
