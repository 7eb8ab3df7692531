// resource_group holds across concurrent `kiln run`s of a project on one machine (GitLab: one job of a resource
// group at a time per project, whatever pipeline it belongs to).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeProject, parseSummary, job, readLog, runKiln } from '../helpers/project.js';

test('two runs of a project never run their resource_group jobs at the same time', async () => {
  const shared = await mkdtemp(join(tmpdir(), 'kiln-rg-out-'));
  const trace = join(shared, 'trace');
  const dir = await makeProject({
    '.gitlab-ci.yml': `
deploy:
  resource_group: production
  script:
    - echo "start $$ $(date +%s%N)" >> ${trace}
    - sleep 2
    - echo "end $$ $(date +%s%N)" >> ${trace}
`,
  });
  const [a, b] = await Promise.all([
    runKiln(['run', '--json', '--no-auto-cancel'], { cwd: dir }),
    runKiln(['run', '--json', '--no-auto-cancel'], { cwd: dir }),
  ]);
  const sa = parseSummary(a.stdout);
  const sb = parseSummary(b.stdout);
  assert.equal(job(sa, 'deploy').status, 'success');
  assert.equal(job(sb, 'deploy').status, 'success');
  const lines = (await readFile(trace, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[0]);
  // One job's start and end, then the other's: never two starts in a row.
  assert.deepEqual(lines, ['start', 'end', 'start', 'end']);
  const logs = (await readLog(sa, 'deploy')) + (await readLog(sb, 'deploy'));
  assert.match(logs, /Waiting for resource: production \(held by pipeline \d+, job deploy/);
});
