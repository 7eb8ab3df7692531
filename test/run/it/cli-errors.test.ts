import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeProject, runKiln } from '../helpers/project.js';

test('bad input gives clear errors and usage exit codes', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': 'j:\n  script: [echo hi]\n' });
  const zero = await runKiln(['run', '--dir', dir, '--concurrency', '0']);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /kiln: --concurrency must be at least 1/);
  const badVars = join(await mkdtemp(join(tmpdir(), 'kiln-bad-')), 'v.env');
  await writeFile(badVars, 'OK=1\n= nothing\n');
  const v = await runKiln(['run', '--dir', dir, '--variables-file', badVars]);
  assert.equal(v.code, 1);
  assert.ok(v.stderr.includes(`kiln: ${badVars}:2:1: invalid variable name ""`), v.stderr);
  const unknown = await runKiln(['run', '--dir', dir, 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no job named "nope"/);
  const src = await runKiln(['run', '--dir', dir, '--sources', 'head']);
  assert.match(src.stderr, /--sources must be worktree or committed/);
  // --source is the pipeline source, as for kiln jobs: an unknown one is named with the known ones.
  const pipelineSource = await runKiln(['run', '--dir', dir, '--source', 'head']);
  assert.match(pipelineSource.stderr, /unknown pipeline source "head"/);
  const noDir = await runKiln(['run', '--dir', join(dir, 'missing')]);
  assert.match(noDir.stderr, /does not exist/);
  const logs = await runKiln(['logs', '--dir', dir, 'j']);
  assert.match(logs.stderr, /no pipelines have run/);
});
