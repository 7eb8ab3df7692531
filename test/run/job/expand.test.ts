import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandJobForExecutor } from '../../../src/run/job/expand.js';
import { makeJob } from '../helpers/model.js';

test('image and service names and aliases are expanded with the job variables before the executor sees them', () => {
  const job = makeJob('build', {
    image: { name: '$BUILD_IMAGE', platform: 'linux/arm64' },
    services: [{ name: 'registry.local/${DB}:15', alias: ['db-$CI_JOB_NAME'], variables: {} }],
  });
  const out = expandJobForExecutor(job, { BUILD_IMAGE: 'kiln/bullseye-build:1', DB: 'postgres', CI_JOB_NAME: 'build' });
  assert.equal(out.image?.name, 'kiln/bullseye-build:1');
  assert.equal(out.image?.platform, 'linux/arm64');
  assert.equal(out.services[0].name, 'registry.local/postgres:15');
  assert.deepEqual(out.services[0].alias, ['db-build']);
  assert.equal(job.image?.name, '$BUILD_IMAGE', 'the pipeline model is not modified');
});

test('image:docker:platform is expanded too (platform: linux/$ARCH in a matrix job), for the image and services', () => {
  const job = makeJob('build: [arm64]', {
    image: { name: 'kiln/bullseye-build:1', platform: 'linux/$ARCH' },
    services: [{ name: 'db', alias: [], variables: {}, platform: 'linux/${ARCH}' }],
  });
  const out = expandJobForExecutor(job, { ARCH: 'arm64' });
  assert.equal(out.image?.platform, 'linux/arm64');
  assert.equal(out.services[0].platform, 'linux/arm64');
  assert.equal(expandJobForExecutor(makeJob('x', { image: { name: 'i' } }), {}).image?.platform, undefined);
});
