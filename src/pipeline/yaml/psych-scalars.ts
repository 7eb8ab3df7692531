// Plain scalars that Ruby's Psych (GitLab's YAML parser, YAML 1.1 rules) reads differently from the YAML 1.2 core
// schema kiln parses with. Only what GitLab documents is followed here (docs: ci/variables/_index.md, "Variables
// are internally parsed by the Psych YAML parser"): `VAR1: 012345` is an octal integer (5349) because every digit
// is 0-7, and `VAR1: 019` is the string "019" (the core schema reads both as decimal numbers).

/** The value Psych gives a plain scalar written with a leading zero; undefined for any other text. */
export function leadingZeroInteger(source: string): number | string | undefined {
  const m = /^([-+]?)0([0-9_]+)$/.exec(source);
  if (!m) return undefined;
  const digits = m[2].replace(/_/g, '');
  if (digits === '' || !/^[0-7]+$/.test(digits)) return source;
  const n = parseInt(digits, 8);
  return m[1] === '-' ? -n : n;
}
