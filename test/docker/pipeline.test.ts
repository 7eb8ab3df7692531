// A realistic pipeline through kiln's scheduler with the Docker executor: stages and needs, artifacts and a
// dotenv report between jobs, a cache, a non-root job, a .deb built with dpkg-deb inside the image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDockerExecutor } from '../../src/executors/docker/executor.js';
import { DEFAULT_CONFIG } from '../../src/config/types.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { allocatePipeline } from '../../src/run/pipelines-dir.js';
import { runPipeline } from '../../src/run/pipeline.js';
import { projectId } from '../../src/run/project-id.js';
import { Console } from '../../src/run/output/console.js';
import { job, makeProject, outputWatch, parseSummary, readLog, runKiln } from '../run/helpers/project.js';
import { AMD64_SPEC, dockerOrSkip, testImage } from './helpers.js';
import { Writable } from 'node:stream';

function yaml(image: string): string {
  return `
stages: [build, test, package]
default:
  image: ${image}
variables:
  APP: hello
build:
  stage: build
  cache:
    key: deps-$CI_COMMIT_REF_SLUG
    paths: [.deps/]
  script:
    - mkdir -p .deps out && test -f .deps/fetched || echo fetched > .deps/fetched
    - printf '#!/bin/sh\\necho "%s says hi"\\n' "$APP" > out/$APP && chmod +x out/$APP
    - echo "BUILD_ID=$CI_PIPELINE_ID-$(uname -m)" > build.env
    - test "$CI_PROJECT_DIR" = "/builds/$CI_PROJECT_NAMESPACE/$CI_PROJECT_NAME" && pwd
  artifacts:
    paths: [out/]
    reports:
      dotenv: build.env
test:
  stage: test
  needs: [build]
  image:
    name: ${image}
    docker:
      user: nobody
  script:
    - test "$(id -un)" = nobody
    - ./out/$APP | tee result.txt
    - grep -q "hello says hi" result.txt
    - test -n "$BUILD_ID"
    - echo "<testsuite tests='1'><testcase name='runs'/></testsuite>" > junit.xml
  artifacts:
    reports:
      junit: junit.xml
package:
  stage: package
  needs: [build, test]
  script:
    - mkdir -p pkg/DEBIAN pkg/usr/bin && cp out/$APP pkg/usr/bin/
    - |
      printf 'Package: %s\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: t <t@t>\\nDescription: demo\\n' "$APP" > pkg/DEBIAN/control
    - dpkg-deb --build --root-owner-group pkg $APP.deb
    - test "$(dpkg-deb --field $APP.deb Package)" = hello
  after_script:
    - echo "status $CI_JOB_STATUS"
  artifacts:
    paths: ["*.deb"]
`;
}

test('realistic pipeline passes in Docker through the scheduler', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const projectDir = await makeProject({ '.gitlab-ci.yml': yaml(image), 'README.md': 'demo\n' });
  const kilnDir = join(projectDir, '.kiln');
  const { id, dir } = await allocatePipeline(kilnDir);
  const pipeline = await loadPipeline({ projectDir, pipelineId: id });
  let log = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      log += String(chunk);
      done();
    },
  });
  const summary = await runPipeline({
    pipeline,
    pipelineId: id,
    pipelineDir: dir,
    storeDir: join(kilnDir, 'store'),
    project: projectId(projectDir),
    executor: createDockerExecutor(DEFAULT_CONFIG),
    console: new Console({ color: false, out }),
    concurrency: 2,
  });
  assert.equal(summary.status, 'passed', log);
  assert.deepEqual(
    summary.jobs.map((j) => [j.name, j.status]),
    [
      ['build', 'success'],
      ['test', 'success'],
      ['package', 'success'],
    ],
  );
  assert.match(log, /\/builds\/.+\n/);
  assert.match(log, /hello says hi/);
  assert.match(log, /status success/);
  const buildLog = await readFile(join(dir, 'build.log'), 'utf8').catch(() => '');
  if (buildLog) assert.match(buildLog, /mkdir -p \.deps out/);
  // Jobs ran in their own workspaces: nothing was written into the checkout.
  assert.equal(existsSync(join(projectDir, 'hello.deb')), false);
  assert.equal(existsSync(join(projectDir, 'out')), false);
});

test('`kiln run` with executor and image from kiln.toml; Ctrl-C runs after_script and leaves no containers', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const toolchain = mkdtempSync(join(tmpdir(), 'kiln-tc-'));
  writeFileSync(join(toolchain, 'VERSION'), 'tc-9\n');
  const projectDir = await makeProject({
    'kiln.toml': `[runner]\nexecutor = "docker"\nenvironment = ["FROM_CONFIG=yes", "KILN_FROM_SOURCE=1"]\n\n[docker]\nimage = "${image}"\nvolumes = ["${toolchain}:/opt/tc:ro"]\n`,
    '.gitlab-ci.yml':
      [
        'build:',
        '  script:',
        '    - test "$FROM_CONFIG" = yes',
        '    - test "$KILN_FROM_SOURCE" = 1',
        '    - test -z "$HOST_ONLY_SETTING" && test "$PATH" != "$HOST_PATH_SEEN"',
        '    - cat /opt/tc/VERSION',
        '    - echo "in $CI_PROJECT_DIR as $(id -un)"',
        'slow:',
        '  script: [sleep 120]',
        '  after_script: [\'echo "after_script sees $CI_JOB_STATUS"\']',
        '  when: manual',
      ].join('\n') + '\n',
  });
  // Host variables (passed through for the shell executor) stay out of the container; kiln.toml's do not,
  // even when the host has the same value (KILN_FROM_SOURCE=1 is set for kiln itself here).
  const r = await runKiln(['run', '--json', 'build'], {
    cwd: projectDir,
    env: { HOST_ONLY_SETTING: 'leaked', HOST_PATH_SEEN: process.env.PATH ?? '' },
  });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const summary = parseSummary(r.stdout);
  assert.equal(job(summary, 'build').status, 'success');
  const log = await readLog(summary, 'build');
  assert.match(log, /with the docker executor/);
  assert.match(log, /tc-9/);
  assert.match(log, /in \/builds\/.+ as root/);

  let pid = 0;
  const watch = outputWatch();
  const running = runKiln(['run', '--json', 'slow'], {
    cwd: projectDir,
    onSpawn: (p) => {
      pid = p;
    },
    onOutput: watch.onOutput,
  });
  const mine = async () =>
    (await docker.listContainers({ all: true, filters: JSON.stringify({ label: ['io.kiln.job=slow'] }) })).filter((c) =>
      c.Labels['io.kiln.owner']?.endsWith(`:${pid}`),
    );
  // The script has started (a cancel before that cancels the job at once, without after_script, as GitLab does).
  await watch.waitFor(/\$ sleep 120/, running);
  assert.equal((await mine()).length, 1, 'job container started');
  process.kill(pid, 'SIGINT');
  const cancelled = await running;
  assert.equal(cancelled.code, 130, cancelled.stderr + cancelled.stdout);
  assert.deepEqual(await mine(), []);
  const slow = parseSummary(cancelled.stdout);
  assert.equal(job(slow, 'slow').status, 'canceled');
  assert.match(await readLog(slow, 'slow'), /after_script sees canceled/, 'after_script ran in its own container');
});
