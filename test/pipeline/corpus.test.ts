// Conformance: every corpus pipeline expands to exactly the jobs in its expected.json (names, stage, when, needs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPipeline } from '../../src/pipeline/load.js';
import { assertJobList, corpusFolders, corpusOptions, CORPUS_DIR, type ExpectedJob } from './corpus-helpers.js';

const folders = corpusFolders();

test('the corpus has the 13 real-world folders', () => {
  assert.equal(folders.length, 13, `folders in ${CORPUS_DIR}: ${folders.join(', ')}`);
});

for (const folder of folders) {
  test(`corpus ${folder}: job list equals expected.json`, async () => {
    const expected = JSON.parse(readFileSync(join(CORPUS_DIR, folder, 'expected.json'), 'utf8')) as {
      jobs: Record<string, ExpectedJob>;
    };
    const pipeline = await loadPipeline(corpusOptions(folder));
    assertJobList(pipeline, expected.jobs, folder);
  });
}
