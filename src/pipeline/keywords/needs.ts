// `needs:` entries as written: names, {job, artifacts, optional, parallel: {matrix}}, `needs: []`.
import type { SourcePosition } from '../../errors.js';
import type { YNode } from '../yaml/node.js';
import { checkKeys, flattenSeq, Problems, readBool, readString, scalarText } from './check.js';
import { readMatrix, type MatrixEntry } from './parallel.js';

export interface NeedRef {
  job: string;
  artifacts: boolean;
  optional: boolean;
  matrix?: MatrixEntry[];
  /** Cross-project or parent-pipeline need: not a job of this pipeline. */
  external?: boolean;
  pos: SourcePosition;
}

export const MAX_NEEDS = 50;

export function readNeeds(p: Problems, n: YNode, path: string[]): NeedRef[] | null {
  if (n.kind === 'scalar' && n.value === null) return [];
  if (n.kind !== 'seq') {
    p.add(n, path, 'should be an array of strings or hashes');
    return [];
  }
  const out: NeedRef[] = [];
  for (const it of flattenSeq(n)) {
    // A null item (an anchored list with one empty `-`, merged into needs) is skipped, as GitLab does: its Needs
    // entry flattens the list, a nil need becomes an unspecified entry with no type, and only typed needs count.
    if (it.kind === 'scalar' && it.value === null) continue;
    const need = readNeed(p, it, path);
    if (need) out.push(need);
  }
  return out;
}

export function readNeed(p: Problems, it: YNode, path: string[]): NeedRef | undefined {
  if (it.kind === 'scalar') {
    const s = scalarText(it);
    if (s === undefined) {
      p.add(it, path, 'each need should be a string or a hash');
      return undefined;
    }
    return { job: s, artifacts: true, optional: false, pos: it.pos };
  }
  if (it.kind !== 'map') {
    p.add(it, path, 'each need should be a string or a hash');
    return undefined;
  }
  checkKeys(p, it, path, ['job', 'artifacts', 'optional', 'parallel', 'project', 'ref', 'pipeline']);
  const jobNode = it.entries.get('job')?.value;
  if (!jobNode) {
    if (it.entries.has('pipeline')) return { job: '', artifacts: true, optional: true, external: true, pos: it.pos };
    p.add(it, path, 'a need hash needs a job');
    return undefined;
  }
  const job = readString(p, jobNode, [...path, 'job']);
  if (job === undefined) return undefined;
  const need: NeedRef = { job, artifacts: true, optional: false, pos: jobNode.pos };
  const art = it.entries.get('artifacts')?.value;
  if (art) need.artifacts = readBool(p, art, [...path, 'artifacts']) ?? true;
  const opt = it.entries.get('optional')?.value;
  if (opt) need.optional = readBool(p, opt, [...path, 'optional']) ?? false;
  if (it.entries.has('project') || it.entries.has('pipeline')) need.external = true;
  const par = it.entries.get('parallel')?.value;
  if (par) {
    if (par.kind !== 'map' || !par.entries.get('matrix'))
      p.add(par, [...path, 'parallel'], 'should be a hash with matrix');
    else {
      checkKeys(p, par, [...path, 'parallel'], ['matrix']);
      need.matrix = readMatrix(p, par.entries.get('matrix')!.value, [...path, 'parallel', 'matrix']);
    }
  }
  return need;
}
