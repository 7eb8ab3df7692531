// Parses one YAML file into the loader's tree (node.ts) with file:line:col positions. Follows Ruby Psych, which
// GitLab uses: duplicate keys are allowed (last wins), several `<<` merge keys may appear in one mapping (each
// overrides what came before it), YAML 1.1 booleans yes/no/on/off, and the custom `!reference` tag.
import {
  Alias,
  isAlias,
  isMap as isYamlMap,
  isNode,
  isPair,
  isScalar as isYamlScalar,
  isSeq as isYamlSeq,
  Lexer,
  LineCounter,
  parseAllDocuments,
  Scalar as YamlScalar,
} from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { ConfigError, type SourcePosition } from '../../errors.js';
import { FLOW_INDENT_ERROR, reindentFlowCollections } from './flow-indent.js';
import { leadingZeroInteger } from './psych-scalars.js';
import type { YEntry, YMap, YNode } from './node.js';
import { cachedParse, storeParse } from './parse-cache.js';

/** Upper bound on the size of a document once aliases are expanded (guards against "billion laughs"). */
const MAX_EXPANDED_NODES = 2_000_000;
/** Deeper nesting than any real pipeline needs; keeps every later recursive pass far from the stack limit. */
const MAX_DEPTH = 200;
// Psych's YAML 1.1 booleans (case-insensitive); `y`/`n` stay strings.
const YAML11_TRUE = /^(?:yes|true|on)$/i;
const YAML11_FALSE = /^(?:no|false|off)$/i;

type AnyDoc = ReturnType<typeof parseAllDocuments> extends infer R ? (R extends Array<infer D> ? D : never) : never;

/**
 * Parses `text` (the content of `file`, a display path relative to the project) and returns its root node, or
 * undefined for an empty document. Syntax errors become ConfigErrors with the position of the problem.
 */
export function parseYaml(text: string, file: string): YNode | undefined {
  const cached = cachedParse(file, text);
  if (cached !== 'miss') return cached;
  const root = parseFresh(text, file);
  storeParse(file, text, root);
  return root;
}

function parseFresh(text: string, file: string): YNode | undefined {
  let source = text;
  let added: Map<number, number> | undefined;
  let lc = new LineCounter();
  let docs = parseDocs(source, lc, file);
  if (docs.some((d) => d.errors.some((e) => FLOW_INDENT_ERROR.test(e.message)))) {
    const fixed = reindentFlowCollections(text);
    if (fixed) {
      source = fixed.text;
      added = fixed.added;
      lc = new LineCounter();
      docs = parseDocs(source, lc, file);
    }
  }
  const where = (offset: number): SourcePosition => {
    const p = lc.linePos(Math.max(0, Math.min(offset, source.length)));
    const line = Math.max(1, p.line);
    return { file, line, col: Math.max(1, p.col - (added?.get(line - 1) ?? 0)) };
  };
  for (const d of docs) {
    const err = d.errors[0];
    // The parser recurses into flow collections ([[[...]]]): hundreds of levels overflow the stack, which it
    // reports as its error. Said as what it is, where the nesting passes kiln's limit.
    if (err && /Maximum call stack size exceeded/.test(err.message)) throw tooDeep(text, file, err.pos[0]);
    if (err) throw new ConfigError(`syntax error: ${firstLine(err.message)}`, where(err.pos[0]));
  }
  const doc = pipelineDocument(docs);
  if (!doc || doc.contents === null || doc.contents === undefined) return undefined;
  return new Converter(doc, where).convert(doc.contents as YamlNode);
}

function parseDocs(text: string, lineCounter: LineCounter, file: string): AnyDoc[] {
  let parsed: ReturnType<typeof parseAllDocuments>;
  try {
    parsed = parseAllDocuments(text, {
      lineCounter,
      uniqueKeys: false,
      merge: false,
      schema: 'core',
      prettyErrors: false,
      strict: false,
      intAsBigInt: false,
    });
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep(text, file, 0);
    throw err;
  }
  // An EmptyStream (not an array) has nothing to load.
  return Array.isArray(parsed) ? parsed : [];
}

/** Where flow collections nest deeper than MAX_DEPTH, found with the YAML lexer (iterative, no recursion). */
function tooDeep(text: string, file: string, fallback: number): ConfigError {
  let offset = 0;
  let depth = 0;
  let at = fallback;
  for (const token of new Lexer().lex(text)) {
    // The lexer's markers (document start, scalar, flow end, BOM) stand for no source text.
    if (token.length === 1 && /[\x02\x18\x1f\ufeff]/.test(token)) continue;
    if (token === '[' || token === '{') {
      if (++depth > MAX_DEPTH) {
        at = offset;
        break;
      }
    } else if (token === ']' || token === '}') depth--;
    offset += token.length;
  }
  let line = 1;
  let start = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < at; k = text.indexOf('\n', k + 1)) {
    line++;
    start = k + 1;
  }
  return new ConfigError(`nested more than ${MAX_DEPTH} levels deep`, { file, line, col: at - start + 1 });
}

/**
 * The document that holds the pipeline. GitLab reads a file of several documents as an optional header (a first
 * document whose only key is `spec:`) followed by the content; without such a header it uses the first document
 * (GitLab's YAML loader, `Gitlab::Ci::Config::Yaml::Loader`, takes the header only when the first of several
 * documents has a `spec` key, and otherwise the first document). In a single document `spec` is an ordinary key:
 * a job may be called `spec`.
 */
function pipelineDocument(docs: AnyDoc[]): AnyDoc | undefined {
  if (docs.length > 1 && isSpecHeader(docs[0])) return docs[1];
  return docs[0];
}

function isSpecHeader(doc: AnyDoc): boolean {
  const c = doc.contents as YamlNode | null;
  return !!c && isYamlMap(c) && c.items.some((pair) => isYamlScalar(pair.key) && pair.key.value === 'spec');
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? s;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

class Converter {
  private readonly done = new Map<YamlNode, YNode>();
  /** Each alias's target, found in one pass: `Alias.resolve` walks the document from its start for every alias,
   * which made a file of 1,500 jobs built with `<<: *tpl` take half a minute. */
  private readonly targets = new Map<Alias, YamlNode | undefined>();
  private readonly active = new Set<YamlNode>();
  private readonly sizes = new WeakMap<YNode, number>();

  constructor(
    private readonly doc: AnyDoc,
    private readonly where: (offset: number) => SourcePosition,
  ) {
    // Document order, node before its children: an alias names the closest anchor before it (YAML 1.2 §3.2.2.2),
    // which may be the node that contains it (then convert() reports the recursion).
    // An explicit stack rather than the library's `visit`, which copies the path for every node.
    const anchors = new Map<string, YamlNode>();
    const stack: unknown[] = [doc.contents];
    while (stack.length) {
      const node = stack.pop();
      if (isAlias(node)) {
        this.targets.set(node, anchors.get(node.source));
        continue;
      }
      if (!isNode(node)) continue;
      if (node.anchor) anchors.set(node.anchor, node);
      if (isYamlMap(node) || isYamlSeq(node)) {
        for (let i = node.items.length - 1; i >= 0; i--) {
          const it = node.items[i];
          if (isPair(it)) stack.push(it.value, it.key);
          else stack.push(it);
        }
      }
    }
  }

  convert(node: YamlNode): YNode {
    const cached = this.done.get(node);
    if (cached) return cached;
    if (this.active.has(node)) throw new ConfigError('syntax error: recursive alias', this.pos(node));
    if (this.active.size >= MAX_DEPTH)
      throw new ConfigError(`nested more than ${MAX_DEPTH} levels deep`, this.pos(node));
    this.active.add(node);
    const out = this.convertUncached(node);
    this.active.delete(node);
    this.done.set(node, out);
    return out;
  }

  private pos(node: YamlNode | null | undefined, fallback?: SourcePosition): SourcePosition {
    const r = node?.range;
    if (r) return this.where(r[0]);
    return fallback ?? this.where(0);
  }

  private convertUncached(node: YamlNode): YNode {
    const pos = this.pos(node);
    if (isAlias(node)) {
      const target = this.targets.get(node as Alias);
      if (!target) throw new ConfigError(`syntax error: unknown alias *${(node as Alias).source}`, pos);
      return this.convert(target as YamlNode);
    }
    if (isYamlScalar(node)) {
      if (node.tag === '!reference') throw new ConfigError('!reference needs an array: !reference [job, key]', pos);
      return { kind: 'scalar', value: scalarValue(node), pos };
    }
    if (isYamlSeq(node)) {
      const items = node.items.map((it) => this.child(it as YamlNode | null, pos));
      if (node.tag === '!reference') {
        const path: string[] = [];
        for (const it of items) {
          if (it.kind !== 'scalar' || it.value === null || typeof it.value === 'object') {
            throw new ConfigError('!reference items should be strings', it.pos);
          }
          path.push(String(it.value));
        }
        if (path.length === 0) throw new ConfigError('!reference needs at least one key', pos);
        return { kind: 'ref', path, pos };
      }
      return this.sized({ kind: 'seq', items, pos }, items);
    }
    if (isYamlMap(node)) {
      if (node.tag === '!reference') throw new ConfigError('!reference needs an array: !reference [job, key]', pos);
      const map: YMap = { kind: 'map', entries: new Map(), pos };
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlNode | null;
        const keyPos = this.pos(keyNode, pos);
        const key = this.keyString(keyNode, keyPos);
        const isMerge = key === '<<' && isYamlScalar(keyNode) && keyNode.type === 'PLAIN';
        const value = this.child(pair.value as YamlNode | null, keyPos);
        if (isMerge && this.mergeInto(map, value)) continue;
        map.entries.set(key, { key, keyPos, value });
      }
      return this.sized(
        map,
        [...map.entries.values()].map((e) => e.value),
      );
    }
    throw new ConfigError('syntax error: unsupported YAML node', pos);
  }

  private child(node: YamlNode | null, fallback: SourcePosition): YNode {
    if (node === null || node === undefined) return { kind: 'scalar', value: null, pos: fallback };
    return this.convert(node);
  }

  private keyString(keyNode: YamlNode | null, pos: SourcePosition): string {
    if (keyNode === null || keyNode === undefined) return '';
    if (isAlias(keyNode)) {
      const v = this.convert(keyNode);
      if (v.kind === 'scalar') return v.value === null ? '' : String(v.value);
    }
    if (isYamlScalar(keyNode)) {
      const v = scalarValue(keyNode);
      return v === null ? '' : String(v);
    }
    throw new ConfigError('syntax error: mapping keys should be plain values', pos);
  }

  /** Applies a `<<` merge (Psych: the merged keys override earlier ones; in a list, earlier maps win). */
  private mergeInto(map: YMap, value: YNode): boolean {
    const sources: YMap[] = [];
    if (value.kind === 'map') sources.push(value);
    else if (value.kind === 'seq' && value.items.every((i) => i.kind === 'map')) {
      sources.push(...(value.items as YMap[]).slice().reverse());
    } else return false;
    for (const src of sources) {
      for (const e of src.entries.values()) map.entries.set(e.key, e as YEntry);
    }
    return true;
  }

  private sized<T extends YNode>(node: T, children: YNode[]): T {
    let n = 1;
    for (const c of children) n += this.sizes.get(c) ?? 1;
    if (n > MAX_EXPANDED_NODES) throw new ConfigError('document too large once aliases are expanded', node.pos);
    this.sizes.set(node, n);
    return node;
  }
}

function scalarValue(node: YamlScalar): string | number | boolean | null {
  const v = node.value;
  if (node.type === 'PLAIN' && typeof v === 'string' && !node.tag) {
    if (YAML11_TRUE.test(v)) return true;
    if (YAML11_FALSE.test(v)) return false;
  }
  if (node.type === 'PLAIN' && !node.tag && typeof node.source === 'string') {
    const zero = leadingZeroInteger(node.source);
    if (zero !== undefined) return zero;
  }
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}
