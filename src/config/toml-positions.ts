// Finds where each key of a TOML document is written (line and column), so config errors can point at it.
// smol-toml parses values but keeps no positions; this scanner reads table headers and `key = value` lines,
// skipping the insides of multi-line strings and arrays. Keys are joined with "." (array-of-table entries
// get their index: "runners.0.docker").
import type { SourcePosition } from '../errors.js';

export type PositionIndex = Map<string, SourcePosition>;

/** Splits a (possibly dotted, possibly quoted) TOML key into its parts. */
function splitKey(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    const q = text[i];
    if (q === '"' || q === "'") {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== q) {
        if (q === '"' && text[j] === '\\' && j + 1 < text.length) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        value += text[j++];
      }
      parts.push(value);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== '.') j++;
      parts.push(text.slice(i, j).trim());
      i = j;
    }
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '.') i++;
  }
  return parts;
}

/** Index of the first `=` outside quotes, or -1. */
function findEquals(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '=') return i;
    else if (c === '#') return -1;
  }
  return -1;
}

/** Net change of [ ] / { } nesting in a value text, ignoring brackets inside strings and comments. */
function bracketDelta(text: string): { delta: number; openMultiline: string | null } {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      const fence = text.slice(i, i + 3);
      const end = text.indexOf(fence, i + 3);
      if (end < 0) return { delta: depth, openMultiline: fence };
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += c === '"' && text[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '#') break;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return { delta: depth, openMultiline: null };
}

export function indexPositions(text: string, file: string): PositionIndex {
  const index: PositionIndex = new Map();
  const lines = text.split(/\r?\n/);
  let table: string[] = [];
  const arrayCounts = new Map<string, number>();
  let depth = 0;
  let multiline: string | null = null;

  lines.forEach((line, n) => {
    if (multiline) {
      if (line.includes(multiline)) {
        const rest = line.slice(line.indexOf(multiline) + 3);
        multiline = null;
        depth += bracketDelta(rest).delta;
      }
      return;
    }
    if (depth > 0) {
      const r = bracketDelta(line);
      depth += r.delta;
      multiline = r.openMultiline;
      return;
    }
    const trimmed = line.trimStart();
    const col = line.length - trimmed.length + 1;
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const header = /^\[\[\s*(.+?)\s*\]\]/.exec(trimmed) ?? /^\[\s*(.+?)\s*\]/.exec(trimmed);
    if (header) {
      const parts = splitKey(header[1]);
      if (trimmed.startsWith('[[')) {
        const key = parts.join('.');
        const i = arrayCounts.get(key) ?? 0;
        arrayCounts.set(key, i + 1);
        table = [...parts, String(i)];
        index.set(parts.join('.'), index.get(parts.join('.')) ?? { file, line: n + 1, col });
      } else {
        table = parts;
      }
      // Re-resolve a header inside an array-of-tables entry (e.g. [runners.docker] after [[runners]]).
      for (const [key, count] of arrayCounts) {
        const prefix = key.split('.');
        if (!trimmed.startsWith('[[') && prefix.every((p, k) => parts[k] === p) && parts.length > prefix.length) {
          table = [...prefix, String(count - 1), ...parts.slice(prefix.length)];
        }
      }
      index.set(table.join('.'), { file, line: n + 1, col });
      setPrefixes(index, table, { file, line: n + 1, col });
      return;
    }
    const eq = findEquals(trimmed);
    if (eq < 0) return;
    const keyParts = splitKey(trimmed.slice(0, eq));
    const full = [...table, ...keyParts];
    index.set(full.join('.'), { file, line: n + 1, col });
    setPrefixes(index, full, { file, line: n + 1, col });
    const r = bracketDelta(trimmed.slice(eq + 1));
    depth = Math.max(0, r.delta);
    multiline = r.openMultiline;
  });
  return index;
}

/** Tables that exist only through a dotted header or key (`[images.env]`, `a.b = 1`) are defined where they are
 * first mentioned, so an error about `images` points at `[images.env]`. */
function setPrefixes(index: PositionIndex, parts: string[], at: SourcePosition): void {
  for (let n = 1; n < parts.length; n++) {
    const key = parts.slice(0, n).join('.');
    if (!index.has(key)) index.set(key, at);
  }
}

/** The position of a key path, falling back to the nearest enclosing key that has one. */
export function positionOf(index: PositionIndex, path: (string | number)[]): SourcePosition | undefined {
  for (let n = path.length; n > 0; n--) {
    const p = index.get(path.slice(0, n).join('.'));
    if (p) return p;
  }
  return undefined;
}
