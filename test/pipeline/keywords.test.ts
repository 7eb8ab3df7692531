// Keyword normalisation: stages, variables forms, image/services, scripts, cache, artifacts, retry, timeout,
// allow_failure, environment, when: delayed/manual, trigger.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../src/pipeline/keywords/fields.js';
import { job, load } from './helpers.js';

test('stages get .pre first and .post last; jobs carry their stage index', async () => {
  const p = await load('keywords');
  assert.deepEqual(p.stages, ['.pre', 'prepare', 'build', '.post']);
  assert.equal(job(p, 'prep').stageIndex, 0);
  assert.equal(job(p, 'full').stageIndex, 2);
});

test('variables: numbers, expand: false, value/options/description', async () => {
  const p = await load('keywords');
  assert.deepEqual(p.variables.NUMBER, { value: '42', expand: true });
  assert.deepEqual(p.variables.LITERAL, { value: '$NOT_EXPANDED', expand: false });
  assert.deepEqual(p.variables.CHOICE, {
    value: 'fast',
    expand: true,
    description: 'speed',
    options: ['fast', 'slow'],
  });
});

test('every structured keyword is normalised', async () => {
  const j = job(await load('keywords'), 'full');
  assert.deepEqual(j.image, {
    name: 'registry.example.com/img:1',
    entrypoint: [''],
    pullPolicy: ['if-not-present', 'always'],
    platform: 'linux/arm64',
    user: 'builder',
  });
  assert.deepEqual(j.services[1], {
    name: 'redis:7',
    alias: ['cache', 'kv'],
    variables: { X: '1' },
    command: ['redis-server'],
  });
  assert.deepEqual(j.beforeScript, ['echo a', 'echo b', 'echo c']);
  assert.deepEqual(j.afterScript, ['echo done']);
  assert.deepEqual(j.cache[0].key, { files: ['Cargo.lock'], prefix: 'rust' });
  assert.equal(j.cache[0].policy, 'pull');
  assert.deepEqual(j.cache[0].fallbackKeys, ['main']);
  assert.equal(j.cache[1].when, 'always');
  assert.deepEqual(j.artifacts?.reports, {
    junit: ['report.xml'],
    dotenv: ['build.env'],
    coverage_report: ['cov.xml'],
  });
  assert.equal(j.artifacts?.expireInSeconds, 7 * 86400);
  assert.deepEqual(j.retry, { max: 2, when: ['script_failure'], exitCodes: [137] });
  assert.equal(j.timeoutSeconds, 5400);
  assert.deepEqual(j.allowFailure, { allowed: true, exitCodes: [3, 4] });
  assert.equal(j.resourceGroup, 'prod');
  assert.deepEqual(j.environment, { name: 'production', url: 'https://example.com', onStop: 'stop' });
  assert.equal(j.coverage, '/Total: (\\d+)%/');
  assert.deepEqual(j.tags, ['linux', 'arm64']);
});

test('when: delayed/manual; manual jobs allow failure by default; trigger read into a TriggerSpec', async () => {
  const p = await load('keywords');
  assert.equal(job(p, 'delayed').when, 'delayed');
  assert.equal(job(p, 'delayed').startInSeconds, 1800);
  assert.deepEqual(job(p, 'manual').allowFailure, { allowed: true, exitCodes: [] });
  const t = job(p, 'trigger').trigger!;
  assert.deepEqual(
    { project: t.project, strategy: t.strategy, forward: t.forward, include: t.include },
    {
      project: 'group/downstream',
      strategy: 'depend',
      forward: { yamlVariables: true, pipelineVariables: false },
      include: undefined,
    },
  );
  assert.equal(t.position.line, 91);
  assert.equal(job(p, 'stop').environment?.action, 'stop');
});

test('durations in GitLab forms', () => {
  assert.equal(parseDuration('1h 30m'), 5400);
  assert.equal(parseDuration('3 hours'), 10800);
  assert.equal(parseDuration('1 day and 2 hours'), 93600);
  assert.equal(parseDuration('3600'), 3600);
  assert.equal(parseDuration('soon'), undefined);
});
