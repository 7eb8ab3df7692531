// File-name-safe, unique slugs for job names (logs and workspace directories).
import { slugify } from '../../pipeline/context/slug.js';

export function jobSlugs(names: string[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const n of names) {
    const base = slugify(n) || 'job';
    let s = base;
    for (let i = 2; used.has(s); i++) s = `${base}-${i}`;
    used.add(s);
    out.set(n, s);
  }
  return out;
}
