import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';

test('kiln.toml: masked names, runner environment (below YAML variables), pre/post build scripts, concurrent', async () => {
  const toml = `concurrent = 1
masked = ["SECRET"]

[runner]
environment = ["FROM_RUNNER=runner", "OVERRIDDEN=runner"]
pre_build_script = "echo pre-build-ran"
post_build_script = "echo post-build-ran"
`;
  const yaml = `
variables:
  OVERRIDDEN: yaml
a:
  needs: []
  script:
    - echo "runner=$FROM_RUNNER over=$OVERRIDDEN"
    - echo "secret=$SECRET"
    - sleep 0.3
b:
  needs: []
  script: [sleep 0.3]
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml, 'kiln.toml': toml });
  const r = await runKiln(['run', '--dir', dir, '--json', '--variable', 'SECRET=hide-me-please']);
  assert.equal(r.code, 0, r.stderr);
  const s = parseSummary(r.stdout);
  const log = await readLog(s, 'a');
  assert.match(log, /O runner=runner over=yaml$/m);
  assert.match(log, /O secret=\[MASKED\]$/m);
  assert.match(log, /pre-build-ran[\s\S]*runner=runner[\s\S]*post-build-ran/);
  assert.ok(!r.stderr.includes('hide-me-please'));
  const [a, b] = s.jobs;
  const overlap =
    Date.parse(a.startedAt!) < Date.parse(b.finishedAt!) && Date.parse(b.startedAt!) < Date.parse(a.finishedAt!);
  assert.equal(overlap, false, 'concurrent = 1 from kiln.toml serialises the jobs');
});
