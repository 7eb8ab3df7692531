// `extends:` — a job inherits from one or more top-level keys (hidden or not), recursively. GitLab's merge: the
// parents are deep-merged in order (later parents win), then the job itself; hashes merge, arrays are replaced.
import { ConfigError } from '../../errors.js';
import type { Problems } from '../keywords/check.js';
import { scalarText } from '../keywords/check.js';
import { deepMerge, newMap, type YEntry, type YMap, type YNode } from '../yaml/node.js';

const MAX_DEPTH = 11;

export function resolveExtends(root: YMap, p: Problems, isJobKey: (key: string) => boolean): YMap {
  const done = new Map<string, YMap>();
  const failed = new Set<string>();

  const resolve = (key: string, chain: string[]): YMap | undefined => {
    const hit = done.get(key);
    if (hit) return hit;
    if (failed.has(key)) return undefined;
    const entry = root.entries.get(key);
    if (!entry || entry.value.kind !== 'map') return undefined;
    const job = entry.value;
    const ext = job.entries.get('extends');
    // `extends: null` is no extends (GitLab validates it with allow_nil; see unspecified.ts).
    if (!ext || (ext.value.kind === 'scalar' && ext.value.value === null)) {
      done.set(key, job);
      return job;
    }
    const path = ['jobs', key, 'extends'];
    const names = parentNames(p, ext.value, path);
    if (!names) {
      failed.add(key);
      return undefined;
    }
    if (chain.length >= MAX_DEPTH) {
      p.push(new ConfigError(`nesting too deep (more than ${MAX_DEPTH - 1} levels of extends)`, ext.value.pos, path));
      failed.add(key);
      return undefined;
    }
    let base: YMap | undefined;
    for (const name of names) {
      if (chain.includes(name) || name === key) {
        const cycle = [...chain, key, name].slice(chain.indexOf(name) >= 0 ? chain.indexOf(name) : chain.length);
        p.push(new ConfigError(`circular dependency detected in extends: ${cycle.join(' -> ')}`, ext.value.pos, path));
        failed.add(key);
        return undefined;
      }
      const parentEntry = root.entries.get(name);
      if (!parentEntry) {
        p.push(new ConfigError(`unknown key in extends: "${name}" is not defined`, ext.value.pos, path));
        failed.add(key);
        return undefined;
      }
      if (parentEntry.value.kind !== 'map') {
        p.push(new ConfigError(`"${name}" cannot be extended: it is not a hash`, ext.value.pos, path));
        failed.add(key);
        return undefined;
      }
      const parent = resolve(name, [...chain, key]);
      if (!parent) {
        failed.add(key);
        return undefined;
      }
      base = base ? deepMerge(base, parent) : parent;
    }
    const own = newMap(
      job.pos,
      [...job.entries.values()].filter((e) => e.key !== 'extends'),
    );
    const merged = base ? deepMerge(base, own) : own;
    merged.pos = job.pos;
    done.set(key, merged);
    return merged;
  };

  const out = newMap(root.pos);
  for (const e of root.entries.values()) {
    if (isJobKey(e.key) && e.value.kind === 'map') {
      const r = resolve(e.key, []);
      // Keep the job's own content when extends failed, so later checks still run on it.
      const value = r ?? dropExtends(e.value);
      out.entries.set(e.key, { key: e.key, keyPos: e.keyPos, value } as YEntry);
    } else out.entries.set(e.key, e);
  }
  return out;
}

function dropExtends(job: YMap): YMap {
  return newMap(
    job.pos,
    [...job.entries.values()].filter((e) => e.key !== 'extends'),
  );
}

function parentNames(p: Problems, n: YNode, path: string[]): string[] | undefined {
  const items = n.kind === 'seq' ? n.items : [n];
  const out: string[] = [];
  for (const it of items) {
    const s = scalarText(it);
    if (s === undefined || it.kind !== 'scalar') {
      p.push(new ConfigError('should be a string or an array of strings', it.pos, path));
      return undefined;
    }
    out.push(s);
  }
  return out;
}
