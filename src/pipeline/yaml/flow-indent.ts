// Flow collections whose lines are less indented than their key, as GitLab's YAML parser accepts them:
//
//   script: [
//     "echo a"
//   ]            <- `]` left of `script`'s value (published pipelines write this)
//
// YAML 1.2 wants every line of a flow collection in block context indented more than the block around it, and the
// `yaml` library enforces that. libyaml, which Ruby's Psych (GitLab) uses, does not look at indentation at all inside
// flow context (its scanner skips the indentation bookkeeping while a `[` or `{` is open). Lines inside a flow
// collection only ever fold into spaces, so indenting them further never changes what they mean: this pass adds the
// missing spaces to exactly the lines the `yaml` lexer refused, and keeps a per-line count so that positions are
// reported against the text as written. It runs only after a parse failed with that error, so valid files never pay
// for it.
import { CST, Lexer } from 'yaml';

/** The message of the `yaml` library's error for this shape. */
export const FLOW_INDENT_ERROR = /^Flow (?:sequence|mapping) in block collection must be sufficiently indented/;

export interface Reindented {
  text: string;
  /** Spaces added at the start of each line (0-based line index), for mapping positions back. */
  added: Map<number, number>;
}

/** Lexemes that mark a token without consuming source text. */
const ZERO_WIDTH = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);

/**
 * Each pass lexes the whole text and fixes the first refused line of each collection, so a collection with k such
 * lines takes k passes. The passes stop after lexing this much text in all (a hostile file cannot make it
 * quadratic): then the original syntax error stands.
 */
const MAX_LEXED = 8 * 1024 * 1024;

/**
 * Indents the lines of flow collections that the lexer ends early for want of indentation, or returns undefined
 * when there is no such line (the syntax error is of another kind and stands).
 */
export function reindentFlowCollections(source: string): Reindented | undefined {
  let text = source;
  const added = new Map<number, number>();
  for (let lexed = 0; lexed < MAX_LEXED; lexed += text.length + 1) {
    const fixes = findShortLines(text);
    if (fixes.length === 0) return added.size ? { text, added } : undefined;
    // Apply from the end so earlier offsets stay valid.
    for (const f of fixes.reverse()) {
      text = text.slice(0, f.lineStart) + ' '.repeat(f.spaces) + text.slice(f.lineStart);
      added.set(f.line, (added.get(f.line) ?? 0) + f.spaces);
    }
  }
  return undefined;
}

interface Fix {
  line: number;
  lineStart: number;
  spaces: number;
}

/**
 * Lexes `text` and returns, for each place where the lexer gave up on a flow collection for lack of indentation,
 * the line to indent and by how much: to one column right of the collection's opening bracket, which always lies
 * right of the key that holds it.
 */
function findShortLines(text: string): Fix[] {
  const fixes: Fix[] = [];
  const open: number[] = []; // columns of the open flow brackets
  let offset = 0;
  let line = 0;
  let lineStart = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (lexeme === CST.FLOW_END) {
      const outer = open[0];
      open.length = 0;
      if (outer !== undefined) {
        const indent = offset - lineStart;
        const want = outer + 1;
        if (want > indent) fixes.push({ line, lineStart, spaces: want - indent });
      }
      continue;
    }
    if (ZERO_WIDTH.has(lexeme)) continue;
    if (lexeme === '[' || lexeme === '{') open.push(offset - lineStart);
    else if ((lexeme === ']' || lexeme === '}') && open.length) open.pop();
    for (let i = lexeme.indexOf('\n'); i !== -1; i = lexeme.indexOf('\n', i + 1)) {
      line++;
      lineStart = offset + i + 1;
    }
    offset += lexeme.length;
  }
  return fixes;
}
