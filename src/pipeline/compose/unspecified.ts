// `key: null` in a job: GitLab treats a keyword whose value is null as not written at all. Its config factory
// (`Gitlab::Config::Entry::Factory#create!`: "We assume that unspecified entry is undefined") turns a nil value into
// an unspecified entry, which takes the keyword's default (`only` → branches and tags) or what `default:` gives
// (`Processable#overwrite_entry` fills every entry that is not `specified?`). Since `extends` and YAML `<<` merge
// before that, a null written in a job removes what it inherited from them: the documented way to exclude a key
// from extended content is to set it to null (GitLab docs, CI/CD YAML syntax reference, `extends`; "Optimize GitLab
// CI/CD configuration files": "exclude a key from the extended content ... assign it to null").
//
// The same factory builds the entries inside structured keywords (`cache:`, `artifacts:`, `retry:`, `image:`,
// `environment:`, `rules:` items, ...), so a null there is likewise absent: `cache: paths:` with nothing after it
// is a cache without paths. User data is not configuration: `variables:` and `inputs:` values, and the free-form
// keywords whose content GitLab passes on unread, keep their nulls.
import { newMap, type YEntry, type YMap, type YNode } from '../yaml/node.js';

/** Keys under which values are data (names chosen by the user), not keyword entries. */
const DATA_KEYS = new Set([
  'variables',
  'inputs',
  'id_tokens',
  'secrets',
  'hooks',
  'trigger',
  'release',
  'pages',
  'identity',
  'dast_configuration',
  'matrix',
]);

const isNull = (n: YNode): boolean => n.kind === 'scalar' && n.value === null;

/**
 * Results per node: jobs share most of their subtrees (extends, `default:`, anchors), so each distinct node is
 * walked once per pipeline (a WeakMap, so nothing outlives the trees).
 */
const memo = new WeakMap<YNode, YNode | null>();

/** The job without its null-valued keywords (and without null entries inside its structured keywords). */
export function dropUnspecified(job: YMap): YMap {
  return stripMap(job) ?? job;
}

/** A copy of `m` without null entries (recursively, outside data keys), or undefined when nothing changed. */
function stripMap(m: YMap): YMap | undefined {
  let changed = false;
  const entries: YEntry[] = [];
  for (const e of m.entries.values()) {
    if (isNull(e.value)) {
      changed = true;
      continue;
    }
    if (DATA_KEYS.has(e.key)) {
      entries.push(e);
      continue;
    }
    const v = stripNode(e.value);
    if (v) {
      changed = true;
      entries.push({ ...e, value: v });
    } else entries.push(e);
  }
  return changed ? newMap(m.pos, entries) : undefined;
}

function stripNode(n: YNode): YNode | undefined {
  if (n.kind === 'scalar' || n.kind === 'ref') return undefined;
  const hit = memo.get(n);
  if (hit !== undefined) return hit ?? undefined;
  const out = stripCollection(n);
  memo.set(n, out ?? null);
  return out;
}

function stripCollection(n: YNode): YNode | undefined {
  if (n.kind === 'map') return stripMap(n);
  if (n.kind === 'seq') {
    let changed = false;
    const items = n.items.map((it) => {
      const s = it.kind === 'map' ? stripMap(it) : undefined;
      if (s) changed = true;
      return s ?? it;
    });
    return changed ? { ...n, items } : undefined;
  }
  return undefined;
}

/** `default:` entries with a value: `default: image: null` sets no default image. */
export function specifiedEntries(m: YMap): YEntry[] {
  return [...m.entries.values()].filter((e) => !isNull(e.value));
}
