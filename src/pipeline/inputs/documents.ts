// Splits a CI file into its `spec:` header and its content the way GitLab's YAML loader does
// (Gitlab::Ci::Config::Yaml::Loader + Yaml::Documents, ci_text_interpolation):
// - the text is split on lines starting with `---` followed by whitespace, into at most 3 pieces;
// - blank pieces (nothing but whitespace, comments or `...`) are dropped;
// - the first piece is a header only when there are at least two pieces and it is a hash with a `spec` key;
// - with a header, the content is the LAST piece; without one, the FIRST piece (later documents are ignored).
// Only a header document is special: a job named `spec` in a one-document file is an ordinary job.
// The content keeps its place in the file: everything before it is replaced by blank lines, so the positions the
// YAML parser reports are the positions in the real file.
const DIVIDER = /^---[ \t\r\n]+/gm;
const MAX_PIECES = 3;

export interface Piece {
  text: string;
  /** Offset of the piece in the whole file. */
  start: number;
}

export interface SplitFile {
  /** The header piece (`spec:` ...), when the file has one. */
  header?: Piece;
  /** The pipeline content piece ('' for an empty file). */
  content: Piece;
}

/** Ruby's `split(/^---\s+/, 3)`: pieces with their offsets. */
function splitPieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  DIVIDER.lastIndex = 0;
  for (let m = DIVIDER.exec(text); m; m = DIVIDER.exec(text)) {
    if (pieces.length === MAX_PIECES - 1) break;
    pieces.push({ text: text.slice(start, m.index), start });
    start = m.index + m[0].length;
  }
  pieces.push({ text: text.slice(start), start });
  return pieces;
}

function isBlank(piece: string): boolean {
  for (const line of piece.split('\n')) {
    const t = line.trim();
    if (t !== '' && !t.startsWith('#') && !t.startsWith('%') && t !== '...' && t !== '---') return false;
  }
  return true;
}

/** Whether a piece's first document is a hash with a top-level `spec` key (checked on the text: cheap, exact for
 * block mappings, which is what a header is). */
export function looksLikeHeader(piece: string): boolean {
  return /^spec[ \t]*:/m.test(piece) || /^["']spec["'][ \t]*:/m.test(piece);
}

export function splitDocuments(text: string, hasSpecKey: (piece: string) => boolean): SplitFile {
  const pieces = splitPieces(text).filter((p) => !isBlank(p.text));
  if (pieces.length === 0) return { content: { text: '', start: 0 } };
  if (pieces.length > 1 && hasSpecKey(pieces[0].text)) {
    return { header: pieces[0], content: firstDocument(pieces[pieces.length - 1]) };
  }
  return { content: firstDocument(pieces[0]) };
}

/** A piece can still hold several documents (a header and 3+ documents): YAML loads its first one. */
function firstDocument(p: Piece): Piece {
  const m = /^---(?:[ \t\r]|$)/m.exec(p.text);
  if (!m || m.index === 0) return p;
  return { text: p.text.slice(0, m.index), start: p.start };
}

/** The piece as a text of its own whose line numbers are those of the whole file. */
export function inPlace(whole: string, piece: Piece, text = piece.text): string {
  if (piece.start === 0) return text;
  let lines = 0;
  for (let i = whole.indexOf('\n'); i >= 0 && i < piece.start; i = whole.indexOf('\n', i + 1)) lines++;
  return '\n'.repeat(lines) + text;
}
