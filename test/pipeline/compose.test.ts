// include, extends, !reference and default:/inherit, in GitLab's order (includes → extends → !reference).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lintPipeline } from '../../src/pipeline/load.js';
import { FEATURES, job, load, varValues } from './helpers.js';
import { join } from 'node:path';

test('include: local, globs, nested, include:rules and vendored project/remote/template files', async () => {
  const p = await load('include');
  assert.deepEqual(p.jobs.map((j) => j.name).sort(), [
    'build',
    'glob-a',
    'glob-b',
    'main-job',
    'nested-job',
    'vendored-component',
    'vendored-project',
    'vendored-remote',
    'vendored-template',
  ]);
  const b = job(p, 'build');
  assert.deepEqual(b.script, ['make'], 'the main file deep-merges over the included job');
  assert.deepEqual(varValues(b), { COMMON: '1', FROM_COMMON: '1', MAIN: '1' });
  assert.equal(job(p, 'glob-a').position.file, 'ci/jobs/a.yml');
  assert.equal(job(p, 'vendored-project').position.file, '.kiln-vendor/project/group/templates/v1/build.yml');
});

test('include:rules are evaluated against the ref', async () => {
  const p = await load('include', { ref: 'release' });
  const names = p.jobs.map((j) => j.name);
  assert.ok(names.includes('release-job'));
  assert.ok(!names.includes('main-job'));
});

test('an include that is not vendored is ONE error naming `kiln vendor`, with no follow-on errors', async () => {
  // GitLab stops creating the pipeline at include errors; kiln reports only those (here `build` extends a job of
  // the missing template and needs a job of the missing project file: neither is reported).
  const errs = await lintPipeline({ projectDir: join(FEATURES, 'include-offline'), ref: 'main' });
  assert.deepEqual(
    errs.map((e) => e.message),
    [
      '.gitlab-ci.yml:2:14: include:0:project: include:project `group/other:ci.yml` is not vendored (no ' +
        '.kiln-vendor/project/group/other/HEAD/ci.yml); run `kiln vendor` to fetch it',
      '.gitlab-ci.yml:4:15: include:1:template: include:template `Jobs/Build.gitlab-ci.yml` is not vendored (no ' +
        '.kiln-vendor/template/Jobs/Build.gitlab-ci.yml); run `kiln vendor` to fetch it',
      '.gitlab-ci.yml:5:5: include:2: include:remote `https://example.com/x.yml` is not vendored (no ' +
        '.kiln-vendor/remote/example.com/x.yml); run `kiln vendor` to fetch it',
      '.gitlab-ci.yml:6:14: include:3:project: include:project `group/lib@v2`: 2 files are not vendored (a.yml, b.yml); ' +
        'run `kiln vendor` to fetch them',
    ],
  );
});

test('extends: chains and several parents; hashes deep-merge, arrays are replaced, later parents win', async () => {
  const j = job(await load('extends'), 'job');
  assert.equal(j.image?.name, 'alpine');
  assert.deepEqual(varValues(j), { A: 'a', SHARED: 'from-job', B: 'b', C: 'c' });
  assert.deepEqual(j.tags, ['b1']);
  assert.deepEqual(j.script, ['echo c']);
  assert.equal(j.cache[0].key, 'a', 'cache hash deep-merged: key from .a');
  assert.deepEqual(j.cache[0].paths, ['job/'], 'arrays replaced');
});

test('!reference: in scripts and rules, nested, resolved after extends', async () => {
  const p = await load('reference');
  const j = job(p, 'job');
  assert.deepEqual(j.beforeScript, ['echo setup', 'echo mine']);
  assert.equal(j.when, 'manual', 'nested referenced rule list flattened; second rule matched');
  const r = job(p, 'referencing-extended');
  assert.deepEqual(r.script, ['echo setup', 'echo mine']);
  assert.deepEqual(varValues(r), { FROM_TEMPLATE: '1' }, 'a reference sees the extended job');
});

test('default: and legacy globals, with inherit:default and inherit:variables (true, false, list)', async () => {
  const p = await load('defaults');
  const all = job(p, 'all');
  assert.equal(all.image?.name, 'ruby:3');
  assert.deepEqual(all.beforeScript, ['echo default']);
  assert.deepEqual(all.afterScript, ['echo legacy-after']);
  assert.equal(all.retry.max, 2);
  assert.deepEqual(all.tags, ['shared']);
  assert.deepEqual(varValues(all), { G1: 'g1', G2: 'g2' });
  const none = job(p, 'none');
  assert.equal(none.image, undefined);
  assert.deepEqual(none.beforeScript, []);
  assert.deepEqual(varValues(none), {});
  const some = job(p, 'some');
  assert.equal(some.image?.name, 'ruby:3');
  assert.deepEqual(some.beforeScript, []);
  assert.deepEqual(varValues(some), { G2: 'g2' });
  assert.equal(job(p, 'own').image?.name, 'own:1');
  assert.ok(!p.jobs.some((j) => j.name === '.hidden'));
});

test('NetworkManager (published, 7 project includes not vendored): 7 errors, one per include, and nothing else', async () => {
  // Before: the 7 missing includes were followed by 77 errors about the jobs, stages and extends they define.
  const errs = await lintPipeline({ projectDir: join(FEATURES, 'networkmanager'), ref: 'main' });
  assert.equal(errs.length, 7, errs.map((e) => e.message).join('\n'));
  for (const [i, e] of errs.entries()) {
    assert.equal(e.keyPath.join(':'), `include:${i}:project`);
    assert.match(
      e.detail,
      /^include:project `freedesktop\/ci-templates.*` is not vendored \(no \.kiln-vendor\/project\/freedesktop\/ci-templates\/.*\); run `kiln vendor` to fetch it$/,
    );
  }
});
