#!/usr/bin/env node
// Import rules of src/ (run by `npm run typecheck`), so the layout stays as docs/design.md describes it:
//  - no import cycles between files (type-only imports count: a cycle of types is still a tangle);
//  - no library file imports from src/cli/ (the CLI layer parses flags and formats output; libraries take typed
//    options), the CLI entry points being the only files that may;
//  - src/workspace/ does not import from src/run/ (sources snapshots are below the run layer).
// Static `import`/`export ... from` and dynamic `import('...')` with a relative literal are all followed.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Usage: node scripts/check-imports.mjs [project-dir]   (default: this project)
const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.\.?\/[^'"]+)\1/gm;

function walk(dir, out) {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.ts')) out.push(relative(root, p).split('\\').join('/'));
  }
  return out;
}

/** Relative imports of each src file, as src-relative .ts paths. */
export function importGraph(files, read) {
  const graph = new Map();
  for (const f of files) {
    const deps = [];
    for (const m of read(f).matchAll(SPEC)) {
      const target = posix.normalize(posix.join(posix.dirname(f), m[2])).replace(/\.js$/, '.ts');
      if (files.includes(target)) deps.push(target);
    }
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

/** One cycle per strongly connected part with more than one file (or a file importing itself). */
export function findCycles(graph) {
  const index = new Map(),
    low = new Map(),
    onStack = new Set(),
    stack = [],
    cycles = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const part = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(part.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** Imports that break the layering rules. */
export function layerViolations(graph) {
  const bad = [];
  for (const [f, deps] of graph) {
    for (const d of deps) {
      if (!f.startsWith('src/cli/') && d.startsWith('src/cli/'))
        bad.push(`${f} imports ${d} (no library file imports from cli/)`);
      if (f.startsWith('src/workspace/') && d.startsWith('src/run/'))
        bad.push(`${f} imports ${d} (workspace/ does not import from run/)`);
    }
  }
  return bad;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = walk(join(root, 'src'), []);
  const graph = importGraph(files, (f) => readFileSync(join(root, f), 'utf8'));
  const problems = [...findCycles(graph).map((c) => `import cycle: ${c.join(' <-> ')}`), ...layerViolations(graph)];
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log(`imports: ${files.length} files, no cycles, layering kept`);
}
