// Issue 15, Docker executor: host files through symlinks (3), setuid files (9a), an entrypoint that never runs
// the script (9b), services that die (9c), run labels, owners and step directories (9d), cache modes (9e).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDockerExecutor } from '../../src/executors/docker/executor.js';
import { DEFAULT_CONFIG } from '../../src/config/types.js';
import { attemptRunId } from '../../src/run/job/slug.js';
import { job, makeProject, parseSummary, readLog, runKiln } from '../run/helpers/project.js';
import {
  AMD64_SPEC,
  BASE_ENV,
  containersOf,
  dockerOrSkip,
  makeJob,
  runId,
  runJob,
  tempDir,
  testImage,
} from './helpers.js';

const docker = () => createDockerExecutor(DEFAULT_CONFIG);

test('a job whose entrypoint exits without running the script fails, whatever its exit code (9b)', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const image = await testImage(AMD64_SPEC);
  const r = await runJob(docker(), makeJob({ image: { name: image, entrypoint: ['/bin/true'] }, script: ['exit 1'] }));
  assert.notEqual(r.main.exitCode, 0, 'a script that did not run is never a success');
  assert.match(r.main.reason ?? '', /the script did not run/);
  assert.match(r.main.reason ?? '', /\/bin\/true/);
  // An entrypoint that runs its command is fine.
  const ok = await runJob(
    docker(),
    makeJob({ image: { name: image, entrypoint: ['/bin/sh', '-c', 'exec "$@"', 'entry'] }, script: ['echo ran'] }),
  );
  assert.equal(ok.main.exitCode, 0, ok.output);
  assert.match(ok.output, /^ran$/m);
});

test("a service that dies gives GitLab's warning and its log in the job log (9c)", async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const image = await testImage(AMD64_SPEC);
  const ex = docker();
  const ws = tempDir();
  const job = makeJob({
    image: { name: image },
    services: [
      {
        name: image,
        alias: ['db'],
        entrypoint: ['sh', '-c', 'echo "db: missing config" >&2; exit 127'],
        variables: {},
      },
    ],
    script: ['true'],
  } as never);
  const prepared = await ex.prepare({ job, workspaceDir: ws, env: BASE_ENV, runId: runId() });
  try {
    const text = (prepared.warnings ?? []).join('\n');
    assert.match(text, /\*\*\* WARNING: Service .* probably didn't start properly\./);
    assert.match(text, /exited with code 127/);
    assert.match(text, /db: missing config/);
  } finally {
    await ex.cleanup(prepared);
  }
});

test('step scripts live next to the workspace, not in /tmp; run ids differ per project (9d)', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const image = await testImage(AMD64_SPEC);
  const before = readdirSync(tmpdir()).filter((n) => n.startsWith('kiln-steps-'));
  const ex = docker();
  const ws = join(tempDir(), 'proj');
  spawnSync('mkdir', ['-p', ws]);
  const prepared = await ex.prepare({
    job: makeJob({ image: { name: image }, script: ['true'] }),
    workspaceDir: ws,
    env: BASE_ENV,
    runId: runId(),
  });
  try {
    assert.ok(existsSync(`${ws}.steps`), 'the step scripts are in the job directory');
    assert.deepEqual(
      readdirSync(tmpdir()).filter((n) => n.startsWith('kiln-steps-')),
      before,
    );
  } finally {
    await ex.cleanup(prepared);
  }
  assert.equal(existsSync(`${ws}.steps`), false);
  assert.notEqual(attemptRunId('/home/a/same', 2, 'job', 1), attemptRunId('/home/b/same', 2, 'job', 1));
});

test("kiln prune keeps a live kiln's objects whatever HOSTNAME says (9d)", async (t) => {
  const d = await dockerOrSkip(t);
  if (!d) return;
  const image = await testImage(AMD64_SPEC);
  const id = runId();
  const live = await d.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: { 'io.kiln.run': id, 'io.kiln.owner': `${hostname()}:${process.pid}`, 'io.kiln.role': 'job' },
  });
  try {
    const cli = spawnSync(process.execPath, ['bin/kiln.js', 'prune', '--run', id], {
      encoding: 'utf8',
      env: { ...process.env, KILN_FROM_SOURCE: '1', HOSTNAME: 'some-other-name' },
    });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal((await containersOf(d, id)).length, 1, "the live kiln's container was kept");
  } finally {
    await live.remove({ force: true }).catch(() => undefined);
  }
});

test('through `kiln run`: no host files through symlinks, no setuid artifacts, private workspaces, exact modes (3, 9a, 9e)', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const image = await testImage(AMD64_SPEC);
  const projectDir = await makeProject({
    'kiln.toml': `[runner]\nexecutor = "docker"\n\n[docker]\nimage = "${image}"\n`,
    '.gitlab-ci.yml': `
stages: [build, test]
escape:
  stage: build
  script: [ln -s /etc out]
  artifacts:
    paths: [out/passwd]
suid:
  stage: build
  script:
    - cp /usr/bin/id suid-id && chmod 4755 suid-id
    - mkdir locked && touch locked/x none && chmod 000 none && chmod 000 locked
  artifacts:
    paths: [suid-id, none, locked]
check:
  stage: test
  needs: [suid]
  script:
    - test "$(stat -c %a suid-id)" = 755
    - test "$(stat -c %a none)" = 0
    - test "$(stat -c %a locked)" = 0
`,
  });
  const r = await runKiln(['run', '--json', '--keep-workspaces'], { cwd: projectDir });
  const s = parseSummary(r.stdout);
  assert.equal(job(s, 'escape').status, 'failed');
  assert.match(job(s, 'escape').message ?? '', /"out\/passwd" goes through a symlink/);
  assert.equal(job(s, 'suid').status, 'success', await readLog(s, 'suid'));
  assert.equal(job(s, 'check').status, 'success', await readLog(s, 'check'));
  const pipelineDir = join(projectDir, '.kiln/pipelines', String(s.pipelineId));
  assert.equal(
    statSync(pipelineDir).mode & 0o777,
    0o700,
    'workspaces (with files made as root in a container) are private',
  );
});
