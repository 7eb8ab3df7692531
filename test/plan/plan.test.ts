import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectJobs } from '../../src/plan/select.js';
import { buildGraph } from '../../src/plan/graph.js';
import { UsageError } from '../../src/errors.js';
import { makeJob, makePipeline, needs } from '../run/helpers/model.js';

const pipeline = makePipeline([
  makeJob('compile', { stage: 'build' }),
  makeJob('lint', { stage: 'build' }),
  makeJob('unit', { stage: 'test', needs: needs('compile') }),
  makeJob('e2e', { stage: 'test' }),
  makeJob('deploy', { stage: 'deploy', when: 'manual' }),
  makeJob('pkg: [amd64]', {
    stage: 'deploy',
    baseName: 'pkg',
    parallel: { index: 1, total: 2, matrix: { ARCH: 'amd64' } },
  }),
  makeJob('pkg: [arm64]', {
    stage: 'deploy',
    baseName: 'pkg',
    parallel: { index: 2, total: 2, matrix: { ARCH: 'arm64' } },
  }),
]);

test('the whole pipeline runs except manual jobs', () => {
  const s = selectJobs(pipeline);
  assert.deepEqual(
    s.jobs.map((j) => j.name),
    ['compile', 'lint', 'unit', 'e2e', 'pkg: [amd64]', 'pkg: [arm64]'],
  );
  assert.equal(s.skipped[0].name, 'deploy');
  assert.match(s.skipped[0].reason, /manual/);
  assert.ok(selectJobs(pipeline, { manual: true }).jobs.some((j) => j.name === 'deploy'));
});

test('named jobs run alone; --needs adds their needs transitively; a named manual job runs', () => {
  assert.deepEqual(
    selectJobs(pipeline, { names: ['unit'] }).jobs.map((j) => j.name),
    ['unit'],
  );
  assert.deepEqual(
    selectJobs(pipeline, { names: ['unit'], needs: true }).jobs.map((j) => j.name),
    ['compile', 'unit'],
  );
  // Without needs, a job depends on every earlier stage.
  assert.deepEqual(
    selectJobs(pipeline, { names: ['e2e'], needs: true }).jobs.map((j) => j.name),
    ['compile', 'lint', 'e2e'],
  );
  assert.deepEqual(
    selectJobs(pipeline, { names: ['deploy'] }).jobs.map((j) => j.name),
    ['deploy'],
  );
});

test('matrix jobs by full name or all instances by base name; stages filter', () => {
  assert.deepEqual(
    selectJobs(pipeline, { names: ['pkg: [arm64]'] }).jobs.map((j) => j.name),
    ['pkg: [arm64]'],
  );
  assert.deepEqual(
    selectJobs(pipeline, { names: ['pkg'] }).jobs.map((j) => j.name),
    ['pkg: [amd64]', 'pkg: [arm64]'],
  );
  assert.deepEqual(
    selectJobs(pipeline, { stages: ['build'] }).jobs.map((j) => j.name),
    ['compile', 'lint'],
  );
  assert.throws(() => selectJobs(pipeline, { stages: ['nope'] }), /no stage named "nope"/);
  assert.throws(
    () => selectJobs(pipeline, { names: ['compil'] }),
    (e: Error) => e instanceof UsageError && /did you mean "compile"/.test(e.message),
  );
});

test('graph: needs or earlier stages; artifacts per needs:artifacts and dependencies', () => {
  const p = makePipeline([
    makeJob('a', { stage: 'build' }),
    makeJob('b', { stage: 'build' }),
    makeJob('c', {
      stage: 'test',
      needs: [
        { job: 'a', artifacts: false, optional: false },
        { job: 'b', artifacts: true, optional: false },
      ],
    }),
    makeJob('d', { stage: 'test', dependencies: ['a'] }),
    makeJob('e', { stage: 'deploy' }),
  ]);
  const g = buildGraph(p.jobs);
  assert.deepEqual(g.nodes.get('c')!.waitsFor, ['a', 'b']);
  assert.deepEqual(g.nodes.get('c')!.artifactsFrom, ['b']);
  assert.deepEqual(g.nodes.get('d')!.waitsFor, ['a', 'b']);
  assert.deepEqual(g.nodes.get('d')!.artifactsFrom, ['a']);
  assert.deepEqual(g.nodes.get('e')!.waitsFor, ['a', 'b', 'c', 'd']);
  assert.ok(g.order.indexOf('c') > g.order.indexOf('b'));
});

test('a needs cycle is reported', () => {
  const p = makePipeline([makeJob('x', { needs: needs('y') }), makeJob('y', { needs: needs('x') })]);
  assert.throws(() => buildGraph(p.jobs), /cycle: x → y → x|cycle: y → x → y/);
});

test('a pipeline that workflow:rules does not create is a clear error', () => {
  const p = makePipeline([], { workflow: { created: false, reason: 'workflow:rules: no rule matched' } });
  assert.throws(
    () => selectJobs(p),
    /GitLab would not create a pipeline for ref "main" \(workflow:rules: no rule matched\)/,
  );
  assert.throws(() => selectJobs(makePipeline([])), /no jobs to run/);
});
