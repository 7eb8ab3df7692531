// The Docker executor on a bootstrapped bookworm image: script semantics, workspace, volumes, users, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDockerExecutor } from '../../src/executors/docker/executor.js';
import { DEFAULT_CONFIG, type KilnConfig } from '../../src/config/types.js';
import { parseVolume } from '../../src/config/values.js';
import { AMD64_SPEC, containersOf, dockerOrSkip, makeJob, runId, runJob, tempDir, testImage } from './helpers.js';

function config(docker: Partial<KilnConfig['docker']> = {}): KilnConfig {
  return { ...DEFAULT_CONFIG, docker: { ...DEFAULT_CONFIG.docker, ...docker } };
}

test('GitLab script semantics: echo, stop at first failure, exit code, after_script, workspace at /builds', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const ws = tempDir();
  writeFileSync(join(ws, 'input.txt'), 'from host\n');
  const job = makeJob({
    image: { name: image },
    variables: { GREETING: { value: 'hi there', expand: true } },
    beforeScript: ['export FROM_BEFORE=yes'],
    script: [
      'echo "$GREETING $FROM_BEFORE in $CI_PROJECT_DIR"',
      'cat input.txt',
      'echo made > out.txt',
      'exit 3',
      'echo never',
    ],
    afterScript: ['echo "after: $CI_JOB_STATUS $FROM_BEFORE-unset"', 'test -f out.txt'],
  });
  const r = await runJob(createDockerExecutor(config()), job, { workspaceDir: ws, env: { GREETING: 'hi there' } });
  assert.equal(r.main.exitCode, 3);
  assert.equal(r.main.timedOut, false);
  assert.equal(r.projectDir, '/builds/group/proj');
  assert.match(
    r.output,
    /\$ echo "\$GREETING \$FROM_BEFORE in \$CI_PROJECT_DIR"\nhi there yes in \/builds\/group\/proj\n/,
  );
  assert.match(r.output, /\$ cat input.txt\nfrom host\n/);
  assert.match(r.output, /\$ exit 3\n/);
  assert.doesNotMatch(r.output, /never\n/);
  assert.equal(r.after?.exitCode, 0);
  assert.match(r.output, /after: failed -unset\n/);
  assert.equal(readFileSync(join(ws, 'out.txt'), 'utf8'), 'made\n');
  assert.deepEqual(await containersOf(docker, 'none'), []);
});

test('pipefail, multi-line commands and a passing job', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const ok = await runJob(
    createDockerExecutor(config()),
    makeJob({
      image: { name: image },
      script: [
        'for i in 1 2; do\n  echo "line $i"\ndone',
        'test "$(dpkg --print-foreign-architectures)" = arm64',
        'test -e /usr/lib/aarch64-linux-gnu/libz.so',
      ],
    }),
  );
  assert.equal(ok.main.exitCode, 0, ok.output);
  assert.match(ok.output, /\$ for i in 1 2; do # collapsed multi-line command\nline 1\nline 2\n/);
  const piped = await runJob(
    createDockerExecutor(config()),
    makeJob({ image: { name: image }, script: ['false | cat', 'echo after-pipe'] }),
  );
  assert.equal(piped.main.exitCode, 1);
  assert.doesNotMatch(piped.output, /after-pipe\n/);
});

test('read-only volume is really read-only: the job fails and the host path is untouched', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const toolchain = tempDir('kiln-toolchain-');
  writeFileSync(join(toolchain, 'cc.txt'), 'vendor toolchain\n');
  const ex = createDockerExecutor(config({ volumes: [parseVolume(`${toolchain}:/opt/toolchain:ro`)] }));
  const read = await runJob(ex, makeJob({ image: { name: image }, script: ['cat /opt/toolchain/cc.txt'] }));
  assert.equal(read.main.exitCode, 0);
  assert.match(read.output, /vendor toolchain/);
  const write = await runJob(
    ex,
    makeJob({ image: { name: image }, script: ['echo evil > /opt/toolchain/cc.txt', 'echo wrote'] }),
  );
  assert.notEqual(write.main.exitCode, 0);
  assert.match(write.output, /Read-only file system/);
  assert.doesNotMatch(write.output, /\nwrote\n/);
  assert.equal(readFileSync(join(toolchain, 'cc.txt'), 'utf8'), 'vendor toolchain\n');
  assert.deepEqual(readdirSync(toolchain), ['cc.txt']);
});

test('named cache volume persists across runs', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const volume = `kiln-test-nuget-${runId()}`;
  const ex = createDockerExecutor(config({ volumes: [parseVolume(`${volume}:/root/.nuget/packages`)] }));
  try {
    const first = await runJob(
      ex,
      makeJob({
        image: { name: image },
        script: ['test ! -e /root/.nuget/packages/pkg', 'echo 1.0 > /root/.nuget/packages/pkg'],
      }),
    );
    assert.equal(first.main.exitCode, 0, first.output);
    const second = await runJob(ex, makeJob({ image: { name: image }, script: ['cat /root/.nuget/packages/pkg'] }));
    assert.equal(second.main.exitCode, 0, second.output);
    assert.match(second.output, /\n1\.0\n/);
    const info = await docker.getVolume(volume).inspect();
    assert.equal(info.Labels?.['io.kiln.persistent'], 'true');
  } finally {
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
  }
});

test('non-root user (image:docker:user) writes the workspace; the host owner gets it back', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const ws = tempDir();
  writeFileSync(join(ws, 'src.c'), 'int main(){return 0;}\n');
  const owner = statSync(ws);
  const r = await runJob(
    createDockerExecutor(config()),
    makeJob({
      image: { name: image, user: 'nobody' },
      script: ['id -un', 'mkdir -p build && echo obj > build/out.o', 'echo more >> src.c'],
    }),
    { workspaceDir: ws },
  );
  assert.equal(r.main.exitCode, 0, r.output);
  assert.match(r.output, /\$ id -un\nnobody\n/);
  assert.equal(readFileSync(join(ws, 'build', 'out.o'), 'utf8'), 'obj\n');
  assert.equal(statSync(join(ws, 'build', 'out.o')).uid, owner.uid);
  assert.equal(statSync(ws).uid, owner.uid);
});

test('missing image: clear error for pull_policy never and for a failed pull; allowed_images enforced', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const job = makeJob({ image: { name: 'kiln-test/does-not-exist:1' }, script: ['true'] });
  await assert.rejects(
    runJob(createDockerExecutor(config({ pullPolicy: ['never'] })), job),
    /image kiln-test\/does-not-exist:1 for job job not found locally \(pull_policy never\) and pull_policy never forbids pulling/,
  );
  await assert.rejects(
    runJob(createDockerExecutor(config({ pullPolicy: ['if-not-present'] })), job),
    /not found locally \(pull_policy if-not-present\); pull failed: .*kiln image bootstrap/,
  );
  await assert.rejects(
    runJob(createDockerExecutor(config({ allowedImages: ['kiln/*'] })), job),
    /image "kiln-test\/does-not-exist:1" is not allowed by allowed_images \(kiln\/\*\)/,
  );
  await assert.rejects(
    runJob(createDockerExecutor(config()), makeJob({ script: ['true'] })),
    /has no image: .*\[docker\] image is not set/,
  );
  const missingBind = createDockerExecutor(
    config({ image: 'x', volumes: [parseVolume('/nonexistent-kiln-dir:/x:ro')] }),
  );
  await assert.rejects(
    runJob(missingBind, makeJob({ script: ['true'] })),
    /host path \/nonexistent-kiln-dir does not exist/,
  );
});

test('OOM-killed container is reported as such', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const r = await runJob(
    createDockerExecutor(config({ memory: 32 * 1024 * 1024 })),
    makeJob({
      image: { name: image },
      script: ['head -c 300000000 /dev/zero | tail > /dev/null', 'echo survived'],
    }),
  );
  assert.equal(r.main.exitCode, 137, r.output);
  assert.match(r.main.reason ?? '', /OOM-killed \(memory limit 32 MiB\)/);
});

test('timeout and cancel kill the container and leave nothing behind', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const ex = createDockerExecutor(config());
  const id = runId();
  const t0 = Date.now();
  const timed = await runJob(ex, makeJob({ image: { name: image }, script: ['echo start', 'sleep 60'] }), {
    id,
    timeoutMs: 1500,
  });
  assert.equal(timed.main.timedOut, true);
  assert.ok(Date.now() - t0 < 20_000);
  assert.deepEqual(await containersOf(docker, id), []);

  const id2 = runId();
  const controller = new AbortController();
  const job = makeJob({ image: { name: image }, script: ['sleep 60'] });
  const running = runJob(ex, job, { id: id2, signal: controller.signal });
  for (let i = 0; i < 100 && (await containersOf(docker, id2)).filter((c) => c.State === 'running').length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await containersOf(docker, id2)).length, 1);
  controller.abort();
  const cancelled = await running;
  assert.equal(cancelled.main.cancelled, true);
  assert.deepEqual(await containersOf(docker, id2), []);
  assert.equal(existsSync('/nonexistent'), false);
});

test('image entrypoint override wraps the step; an empty entrypoint clears it', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const wrapped = await runJob(
    createDockerExecutor(config()),
    makeJob({
      image: { name: image, entrypoint: ['/bin/sh', '-c', 'echo "entrypoint saw $# args"; exec "$@"', 'ep'] },
      script: ['echo step-ran'],
    }),
  );
  assert.equal(wrapped.main.exitCode, 0, wrapped.output);
  assert.match(wrapped.output, /^entrypoint saw 3 args\n[^]*step-ran\n/);
  const cleared = await runJob(
    createDockerExecutor(config()),
    makeJob({ image: { name: image, entrypoint: [''] }, script: ['echo plain'] }),
  );
  assert.equal(cleared.main.exitCode, 0, cleared.output);
  assert.match(cleared.output, /\$ echo plain\nplain\n/);
});
