import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildJobEnv } from '../../../src/run/job/env.js';
import { makeJob, makePipeline } from '../helpers/model.js';

test('precedence: predefined < YAML < dotenv < user; CI_PROJECT_DIR is the workspace; file and masked variables', async () => {
  const ws = join(await mkdtemp(join(tmpdir(), 'kiln-env-')), 'proj');
  const job = makeJob('build', {
    variables: {
      A: { value: 'yaml', expand: true },
      B: { value: 'yaml', expand: true },
      C: { value: 'yaml', expand: true },
      REF: { value: 'dir=$CI_PROJECT_DIR job=$CI_JOB_NAME', expand: true },
      RAW: { value: '$A', expand: false },
    },
  });
  const p = makePipeline(
    [job],
    {},
    {
      C: { value: 'user', expand: true },
      KEY: { value: 'secret-file-content', expand: true, file: true, masked: true },
      TOKEN: { value: 'tok-123', expand: true },
    },
  );
  const env = await buildJobEnv({
    ctx: p.context,
    job: p.jobs[0],
    jobId: 7,
    projectDir: ws,
    fileVarDir: `${ws}.tmp`,
    dotenv: { B: 'dotenv', C: 'dotenv' },
    maskedNames: ['TOKEN'],
    hostEnv: { PATH: '/usr/bin', A: 'host' },
    runnerEnv: { A: 'runner', R: 'runner' },
  });
  assert.equal(env.env.A, 'yaml');
  assert.equal(env.env.R, 'runner');
  assert.equal(env.env.B, 'dotenv');
  assert.equal(env.env.C, 'user');
  assert.equal(env.env.RAW, '$A');
  assert.equal(env.env.REF, `dir=${ws} job=build`);
  assert.equal(env.env.CI_JOB_ID, '7');
  assert.equal(env.env.PATH, '/usr/bin');
  assert.equal(env.ci.PATH, undefined, 'host variables are not CI variables');
  assert.equal(env.env.KEY, join(`${ws}.tmp`, 'KEY'));
  assert.equal(await readFile(env.env.KEY, 'utf8'), 'secret-file-content');
  assert.equal((await stat(env.env.KEY)).mode & 0o777, 0o600);
  assert.deepEqual(env.secrets.sort(), ['secret-file-content', 'tok-123']);
});
