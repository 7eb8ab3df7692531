// `!reference [key, sub, ...]` — replaced by the value at that path of the merged configuration (after includes
// and extends). References inside the referenced value are resolved too (up to 10 levels).
import { ConfigError } from '../../errors.js';
import type { Problems } from '../keywords/check.js';
import type { YMap, YNode } from '../yaml/node.js';

const MAX_NESTING = 10;

export function resolveReferences(root: YMap, p: Problems): YMap {
  const memo = new Map<YNode, YNode>();
  const hasRef = new Map<YNode, boolean>();

  const contains = (n: YNode): boolean => {
    const known = hasRef.get(n);
    if (known !== undefined) return known;
    let r = false;
    if (n.kind === 'ref') r = true;
    else if (n.kind === 'seq') r = n.items.some(contains);
    else if (n.kind === 'map')
      for (const e of n.entries.values())
        if (contains(e.value)) {
          r = true;
          break;
        }
    hasRef.set(n, r);
    return r;
  };

  const lookup = (ref: Extract<YNode, { kind: 'ref' }>): YNode | undefined => {
    let cur: YNode | undefined = root;
    for (const k of ref.path) {
      if (!cur || cur.kind !== 'map') return undefined;
      cur = cur.entries.get(k)?.value;
    }
    return cur;
  };

  const walk = (n: YNode, stack: YNode[]): YNode => {
    if (!contains(n)) return n;
    const cached = memo.get(n);
    if (cached) return cached;
    let out: YNode;
    if (n.kind === 'ref') {
      const shown = `!reference [${n.path.join(', ')}]`;
      if (stack.includes(n) || stack.length > MAX_NESTING) {
        throw new ConfigError(`${shown}: references nested too deep or circular`, n.pos);
      }
      const target = lookup(n);
      if (target === undefined) throw new ConfigError(`${shown} could not be found`, n.pos);
      out = walk(target, [...stack, n]);
    } else if (n.kind === 'seq') {
      out = { kind: 'seq', items: n.items.map((i) => walk(i, stack)), pos: n.pos };
    } else if (n.kind === 'map') {
      const m: YMap = { kind: 'map', entries: new Map(), pos: n.pos };
      for (const e of n.entries.values())
        m.entries.set(e.key, { key: e.key, keyPos: e.keyPos, value: walk(e.value, stack) });
      out = m;
    } else out = n;
    if (stack.length === 0) memo.set(n, out);
    return out;
  };

  const out: YMap = { kind: 'map', entries: new Map(), pos: root.pos };
  for (const e of root.entries.values()) {
    try {
      out.entries.set(e.key, { key: e.key, keyPos: e.keyPos, value: walk(e.value, []) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      p.push(err);
      out.entries.set(e.key, e);
    }
  }
  return out;
}
