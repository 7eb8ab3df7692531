// Realistic pipelines written for kiln's tests (test/corpus/fixtures/<name>/): each folder's .gitlab-ci.yml must
// expand to exactly the jobs in its expected.json (names, stage, when, needs), in the real-world corpus format.
// The expected lists were worked out by hand from GitLab's documented semantics (see each NOTES.txt).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadPipeline } from '../../src/pipeline/load.js';
import type { Variables } from '../../src/pipeline/model.js';
import { assertJobList, type ExpectedJob } from '../pipeline/corpus-helpers.js';

const FIXTURES = resolve(fileURLToPath(import.meta.url), '..', 'fixtures');

interface Expected {
  context: { ref: string; source: string; tag?: boolean; variables?: Record<string, string> };
  jobs: Record<string, ExpectedJob>;
}

const folders = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

test('the realistic corpus has at least 15 pipelines, each complete', () => {
  assert.ok(folders.length >= 15, `only ${folders.length} folders`);
  for (const f of folders) {
    for (const file of ['.gitlab-ci.yml', 'expected.json', 'NOTES.txt']) {
      assert.ok(existsSync(join(FIXTURES, f, file)), `${f}/${file} missing`);
    }
  }
});

for (const folder of folders) {
  test(`realistic ${folder}: job list equals expected.json`, async () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, folder, 'expected.json'), 'utf8')) as Expected;
    const c = expected.context;
    const variables: Variables = {};
    for (const [k, v] of Object.entries(c.variables ?? {})) variables[k] = { value: v, expand: true };
    // A private copy outside kiln's own git checkout: the context must not depend on kiln's HEAD commit.
    const projectDir = join(mkdtempSync(join(tmpdir(), 'kiln-corpus-')), folder);
    cpSync(join(FIXTURES, folder), projectDir, { recursive: true });
    const pipeline = await loadPipeline({
      projectDir,
      ref: c.ref,
      source: c.source,
      tag: c.tag ?? false,
      defaultBranch: 'main',
      projectUrl: `https://gitlab.example.com/group/${folder}`,
      variables,
    });
    assertJobList(pipeline, expected.jobs, folder);
  });
}
