// Reading a repository's current state back from its published metadata: the suite's Release and the
// Packages index of every component/architecture. The published indexes are the database; nothing else.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePackagesIndex, packageKey, type PoolPackage } from './packages-index.js';
import { parseRelease, type ParsedRelease } from './release.js';
import { currentSnapshot, SNAPSHOTS } from './snapshot.js';

export interface SuiteState {
  dir?: string;
  release?: ParsedRelease;
  /** component → package key → package */
  components: Map<string, Map<string, PoolPackage>>;
}

export async function readSuiteState(repo: string, suite: string): Promise<SuiteState> {
  const dir = await currentSnapshot(repo, suite);
  const state: SuiteState = { dir, components: new Map() };
  if (!dir) return state;
  const relFile = join(dir, 'Release');
  state.release = parseRelease(await readFile(relFile, 'utf8'), relFile);
  for (const comp of state.release.components) {
    const pkgs = new Map<string, PoolPackage>();
    for (const arch of state.release.architectures) {
      const file = join(dir, comp, `binary-${arch}`, 'Packages');
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const p of parsePackagesIndex(text, file, comp)) pkgs.set(packageKey(p), p);
    }
    state.components.set(comp, pkgs);
  }
  return state;
}

/** Every pool file referenced by any suite of the repository (for safe deletion after --keep). */
export async function referencedPoolFiles(repo: string): Promise<Set<string>> {
  const out = new Set<string>();
  const names = await readdir(join(repo, 'dists')).catch(() => [] as string[]);
  for (const suite of names) {
    if (suite.startsWith('.') || suite === SNAPSHOTS) continue;
    const st = await readSuiteState(repo, suite).catch(() => undefined);
    for (const pkgs of st?.components.values() ?? []) for (const p of pkgs.values()) out.add(p.filename);
  }
  return out;
}
