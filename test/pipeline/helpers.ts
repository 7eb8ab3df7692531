// Loads a feature fixture (test/pipeline/fixtures/features/<name>) in a fixed context: push on main, as a new branch
// (before-SHA zeros: every `changes` rule holds), whatever the upstream of the repository the fixtures live in.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPipeline, type LoadOptions } from '../../src/pipeline/load.js';
import type { Job, Pipeline } from '../../src/pipeline/model.js';

export const FEATURES = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'features');

export function load(name: string, extra: Partial<LoadOptions> = {}): Promise<Pipeline> {
  return loadPipeline({
    projectDir: join(FEATURES, name),
    ref: 'main',
    source: 'push',
    defaultBranch: 'main',
    beforeSha: '0'.repeat(40),
    projectUrl: 'https://gitlab.example.com/group/project',
    ...extra,
  });
}

export function job(p: Pipeline, name: string): Job {
  const j = p.jobs.find((x) => x.name === name);
  if (!j) throw new Error(`no job "${name}" in ${p.jobs.map((x) => x.name).join(', ')}`);
  return j;
}

export function varValues(j: Job): Record<string, string> {
  return Object.fromEntries(Object.entries(j.variables).map(([k, v]) => [k, v.value]));
}
