// The summary's CACHE column for a push-only cache (seed 003's compile jobs): it never tries to restore, so it
// says "push", not "miss"; the next pull-only job hits what it saved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { job, makeProject, parseSummary, runKiln } from '../helpers/project.js';

test('a policy: push cache is shown as "push" in the summary, and the pull job hits it', async () => {
  const yaml = `
stages: [compile, upload]
compile:
  stage: compile
  cache:
    key: $CI_COMMIT_SHA-1804
    paths: [build/]
    policy: push
  script:
    - mkdir -p build && echo deb > build/pkg.deb
upload:
  stage: upload
  needs: [compile]
  cache:
    key: $CI_COMMIT_SHA-1804
    paths: [build/]
    policy: pull
  script:
    - cat build/pkg.deb
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = parseSummary(r.stdout);
  assert.equal(job(s, 'compile').cache, 'push');
  assert.equal(job(s, 'upload').cache, 'hit');
  const text = await runKiln(['run', '--dir', dir, 'compile']);
  assert.match(text.stdout + text.stderr, /^compile\s+success\s+\S+\s+push\s/m);
});
