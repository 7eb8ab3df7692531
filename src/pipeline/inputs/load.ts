// One CI file from text to YAML tree, GitLab's way: split off the `spec:` header, check the given inputs against
// it, parse the content as YAML and interpolate `$[[ ... ]]` in it (before any keyword is read).
// A file without a header is not interpolated (its `$[[ ]]` stay as written), and giving it inputs is an error.
import { ConfigError } from '../../errors.js';
import { parseYaml } from '../yaml/read.js';
import type { YNode } from '../yaml/node.js';
import { inPlace, looksLikeHeader, splitDocuments } from './documents.js';
import type { FunctionEnv } from './functions.js';
import { interpolateTree, type Context } from './interpolate.js';
import { readHeader, type ComponentField } from './spec.js';
import { checkInputs, coerceCliValue } from './values.js';

export interface ComponentContext {
  name: string;
  reference: string;
  sha?: string;
  /** Resolved release version; null when the reference is not a release (branch, SHA). */
  version: string | null;
}

export interface CiFileOptions {
  /** Values given by include:inputs (or an inputs file for the main file); undefined: none given. */
  inputs?: Record<string, unknown>;
  /** Text values from the command line (`--input name=value`), read as the type their spec declares. */
  cliInputs?: Record<string, string>;
  /** Set for a component: the `component` context. */
  component?: ComponentContext;
  env: FunctionEnv;
}

export interface CiFile {
  /** The content document, undefined when empty. */
  root?: YNode;
  /** Input and interpolation problems, GitLab's messages (to report at the place that included the file). */
  inputErrors: string[];
  /** Whether the file has a `spec:` header. */
  hasHeader: boolean;
}

/** Parses `text` (display path `file`). YAML syntax and header structure problems throw ConfigError. */
export function readCiText(text: string, file: string, o: CiFileOptions): CiFile {
  // The first piece is parsed once: to tell whether it is a header, and then as the header.
  let firstPiece: { piece: string; node: YNode | undefined } | undefined;
  const split = splitDocuments(text, (piece) => {
    firstPiece = { piece, node: specHash(piece, file) };
    return firstPiece.node !== undefined;
  });
  const given: Record<string, unknown> = { ...o.inputs, ...o.cliInputs };
  if (!split.header) {
    if (Object.keys(given).length > 0) {
      return {
        inputErrors: ['Given inputs not defined in the `spec` section of the included configuration file'],
        hasHeader: false,
      };
    }
    return { root: parseYaml(inPlace(text, split.content), file), inputErrors: [], hasHeader: false };
  }
  const headerNode =
    firstPiece?.piece === split.header.text && split.header.start === 0
      ? firstPiece.node!
      : parseYaml(inPlace(text, split.header), file)!;
  const structural: ConfigError[] = [];
  const header = readHeader(headerNode, structural);
  if (structural.length === 1) throw structural[0];
  if (structural.length > 1) throw new ConfigError(structural.map((e) => e.message).join('; '), structural[0].position);
  for (const [name, raw] of Object.entries(o.cliInputs ?? {})) {
    given[name] = coerceCliValue(raw, header.inputs.find((i) => i.name === name)?.type);
  }
  const checked = checkInputs(header.inputs, given);
  if (checked.errors.length) return { inputErrors: checked.errors, hasHeader: true };
  const ctx: Context = { inputs: checked.values };
  if (o.component) ctx.component = componentContext(o.component, header.component);
  const content = parseYaml(inPlace(text, split.content), file);
  if (content === undefined) return { inputErrors: [], hasHeader: true };
  const out = interpolateTree(content, ctx, o.env);
  if (out.errors.length) return { inputErrors: out.errors, hasHeader: true };
  return { root: out.root, inputErrors: [], hasHeader: true };
}

/** The piece parsed, when it is a hash with a `spec` key (a header); undefined otherwise. */
function specHash(piece: string, file: string): YNode | undefined {
  if (!looksLikeHeader(piece)) return undefined;
  try {
    const n = parseYaml(piece, file);
    return n?.kind === 'map' && n.entries.has('spec') ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Only the fields the header declares in `spec:component` are available (GitLab 18.7). */
function componentContext(c: ComponentContext, fields: ComponentField[]): Record<string, unknown> {
  const all: Record<ComponentField, unknown> = {
    name: c.name,
    sha: c.sha ?? null,
    version: c.version,
    reference: c.reference,
  };
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = all[f];
  return out;
}
