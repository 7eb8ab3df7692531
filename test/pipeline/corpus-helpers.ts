// Shared helpers for the tests that read the real-world corpus: the project's copy in test/corpus/published/ (see its
// README for where each file comes from), so the tests need nothing outside the repository.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pipeline } from '../../src/pipeline/model.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
export const PUBLISHED_DIR = resolve(repoRoot, 'test', 'corpus', 'published');
export const CORPUS_DIR = resolve(PUBLISHED_DIR, 'real-world');

export function corpusFolders(): string[] {
  if (!existsSync(CORPUS_DIR)) {
    throw new Error(`corpus folder missing: ${CORPUS_DIR}`);
  }
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function corpusOptions(folder: string) {
  return {
    projectDir: join(CORPUS_DIR, folder),
    ref: 'main',
    source: 'push',
    defaultBranch: 'main',
    // The expected job lists are GitLab's for a new branch, where every `changes` rule holds. Said explicitly: the
    // corpus lives inside kiln's own repository, whose upstream (in a clone) would otherwise give a push range.
    beforeSha: '0'.repeat(40),
    projectUrl: `https://gitlab.example.com/group/${folder}`,
  };
}

export interface ExpectedJob {
  stage: string;
  when: string;
  needs: string[] | null;
}

/** The pipeline in expected.json's shape. */
export function jobTable(p: Pipeline): Record<string, ExpectedJob> {
  const out: Record<string, ExpectedJob> = {};
  for (const j of p.jobs)
    out[j.name] = { stage: j.stage, when: j.when, needs: j.needs ? j.needs.map((n) => n.job) : null };
  return out;
}

/** Asserts a loaded pipeline creates exactly the expected jobs (names, stage, when, needs in any order). */
export function assertJobList(pipeline: Pipeline, expected: Record<string, ExpectedJob>, label: string): void {
  const actual = jobTable(pipeline);
  const missing = Object.keys(expected).filter((n) => !(n in actual));
  const extra = Object.keys(actual).filter((n) => !(n in expected));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${label}: job names differ`);
  for (const name of Object.keys(expected)) {
    const e = expected[name];
    const a = actual[name];
    assert.deepEqual(
      { ...a, needs: a.needs?.slice().sort() ?? null },
      { ...e, needs: e.needs?.slice().sort() ?? null },
      `${label}: job "${name}"`,
    );
  }
}
