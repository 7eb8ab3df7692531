// Reads what a Dockerfile builds FROM, so an image's content tag can include the ids of its base images (a
// re-bootstrapped base must rebuild the image). Pure: text in, references out.
//
// Dockerfile rules followed (Docker's Dockerfile reference): instructions are case-insensitive; a line ending in
// the escape character (`\`, or the one a `# escape=` directive names) continues on the next; `ARG` before the
// first `FROM` declares arguments usable in `FROM` lines (build args override their defaults, and the platform
// args TARGETPLATFORM/TARGETOS/TARGETARCH/TARGETVARIANT/BUILDPLATFORM/BUILDOS/BUILDARCH are predefined); `FROM`
// may name an earlier stage (`AS name`) or `scratch`, which are not images.

export interface BaseReference {
  /** The image reference after argument substitution. */
  image: string;
  /** `--platform=` of the FROM line, after substitution. */
  platform?: string;
  /** 1-based line of the FROM instruction. */
  line: number;
}

export interface DockerfileBases {
  bases: BaseReference[];
  /** Stage names, in order. */
  stages: string[];
}

/** Joins continuation lines; returns [first line number, instruction text] without comments and blank lines. */
function instructions(text: string): [number, string][] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  // Parser directives: only leading `# directive=value` comments.
  for (const l of lines) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(l);
    if (!m) break;
    if (m[1].toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2];
  }
  const out: [number, string][] = [];
  let current: string | undefined;
  let start = 0;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (current === undefined && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (current !== undefined && trimmed.startsWith('#')) return; // comments inside a continued instruction
    const continued = trimmed.endsWith(escape);
    const piece = continued ? trimmed.slice(0, -1) : trimmed;
    if (current === undefined) {
      current = piece;
      start = i + 1;
    } else current += ` ${piece}`;
    if (!continued) {
      out.push([start, current]);
      current = undefined;
    }
  });
  if (current !== undefined) out.push([start, current]);
  return out;
}

/** `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME:+alt}` as the Dockerfile's word expansion does. */
export function substitute(word: string, vars: Map<string, string>): string {
  return word.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_, braced: string | undefined, op: string | undefined, alt: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare!;
      const value = vars.get(name);
      if (op === '-') return value ? value : (alt ?? '');
      if (op === '+') return value ? (alt ?? '') : '';
      return value ?? '';
    },
  );
}

function unquote(s: string): string {
  return s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))
    ? s.slice(1, -1)
    : s;
}

export function platformArgs(platform: string, buildPlatform: string): Map<string, string> {
  const [os, arch, variant] = platform.split('/');
  const [bos, barch] = buildPlatform.split('/');
  return new Map([
    ['TARGETPLATFORM', platform],
    ['TARGETOS', os],
    ['TARGETARCH', arch ?? ''],
    ['TARGETVARIANT', variant ?? ''],
    ['BUILDPLATFORM', buildPlatform],
    ['BUILDOS', bos],
    ['BUILDARCH', barch ?? ''],
  ]);
}

/**
 * The images a Dockerfile's FROM lines name, for a given set of build args and target platform.
 * Stages named by a later FROM and `scratch` are left out.
 */
export function dockerfileBases(
  text: string,
  buildArgs: Record<string, string>,
  predefined: Map<string, string>,
): DockerfileBases {
  const globals = new Map(predefined);
  const stages: string[] = [];
  const bases: BaseReference[] = [];
  let seenFrom = false;
  for (const [line, inst] of instructions(text)) {
    const m = /^(\w+)\s*(.*)$/s.exec(inst);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'ARG' && !seenFrom) {
      for (const decl of m[2].trim().split(/\s+/)) {
        const eq = decl.indexOf('=');
        const name = eq < 0 ? decl : decl.slice(0, eq);
        const def = eq < 0 ? undefined : unquote(decl.slice(eq + 1));
        const value = buildArgs[name] ?? (def !== undefined ? substitute(def, globals) : undefined);
        if (value !== undefined) globals.set(name, value);
      }
    } else if (keyword === 'FROM') {
      seenFrom = true;
      const words = m[2].trim().split(/\s+/);
      let platform: string | undefined;
      while (words[0]?.startsWith('--')) {
        const flag = words.shift()!;
        if (flag.startsWith('--platform=')) platform = substitute(flag.slice('--platform='.length), globals);
      }
      const image = substitute(words[0] ?? '', globals);
      const as = words[1]?.toLowerCase() === 'as' ? words[2] : undefined;
      if (image && image.toLowerCase() !== 'scratch' && !stages.includes(image.toLowerCase())) {
        bases.push({ image, ...(platform ? { platform } : {}), line });
      }
      if (as) stages.push(as.toLowerCase());
    }
  }
  return { bases, stages };
}
