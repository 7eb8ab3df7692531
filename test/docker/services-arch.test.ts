// Services reachable by alias on the per-job network; arm64 under QEMU emulation; `kiln prune`.
import { test } from 'node:test';
import { hostname } from 'node:os';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createDockerExecutor } from '../../src/executors/docker/executor.js';
import { prune } from '../../src/executors/docker/prune.js';
import { DEFAULT_CONFIG } from '../../src/config/types.js';
import { AMD64_SPEC, ARM64_SPEC, containersOf, dockerOrSkip, makeJob, runId, runJob, testImage } from './helpers.js';

test('services: reachable by alias and by the derived name; network and containers removed afterwards', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const id = runId();
  const web =
    'mkdir -p /tmp/www && echo "$SERVICE_GREETING" > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www';
  const job = makeJob({
    image: { name: image },
    services: [
      {
        name: image,
        alias: ['web'],
        entrypoint: ['sh', '-c'],
        command: [web],
        variables: { SERVICE_GREETING: 'hello from service' },
      },
    ],
    script: [
      'for i in $(seq 1 50); do busybox wget -qO- http://web:8080/ && break; sleep 0.2; done',
      'busybox wget -qO- http://kiln-debian-bookworm-amd64:8080/',
    ],
  });
  const r = await runJob(createDockerExecutor(DEFAULT_CONFIG), job, { id });
  assert.equal(r.main.exitCode, 0, r.output);
  assert.match(
    r.output,
    /hello from service\n[^]*\$ busybox wget -qO- http:\/\/kiln-debian-bookworm-amd64:8080\/\nhello from service\n/,
  );
  assert.deepEqual(await containersOf(docker, id), []);
  const nets = await docker.listNetworks({ filters: JSON.stringify({ label: [`io.kiln.run=${id}`] }) });
  assert.deepEqual(nets, []);
});

test('arm64 job (image:docker:platform linux/arm64) runs under emulation and reports aarch64', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(ARM64_SPEC);
  const r = await runJob(
    createDockerExecutor(DEFAULT_CONFIG),
    makeJob({
      image: { name: image, platform: 'linux/arm64' },
      script: ['uname -m', 'dpkg --print-architecture'],
    }),
  );
  assert.equal(r.main.exitCode, 0, r.output);
  assert.match(r.output, /\$ uname -m\naarch64\n/);
  assert.match(r.output, /\$ dpkg --print-architecture\narm64\n/);
  // The amd64 image cannot satisfy a linux/arm64 request.
  const amd = await testImage(AMD64_SPEC);
  await assert.rejects(
    runJob(
      createDockerExecutor({ ...DEFAULT_CONFIG, docker: { ...DEFAULT_CONFIG.docker, pullPolicy: ['never'] } }),
      makeJob({ image: { name: amd, platform: 'linux/arm64' }, script: ['true'] }),
    ),
    /is linux\/amd64, but the job asks for platform linux\/arm64/,
  );
});

test('kiln prune removes what a killed kiln left behind and keeps objects of live ones', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const dead = spawnSync('true').pid ?? 999_999;
  const id = runId();
  const labels = (owner: string) => ({ 'io.kiln.run': id, 'io.kiln.owner': owner, 'io.kiln.role': 'job' });
  const host = hostname();
  const leftover = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: labels(`${host}:${dead}`) });
  const live = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: labels(`${host}:${process.pid}`) });
  const net = await docker.createNetwork({ Name: `kiln-prune-test-${id}`, Labels: labels(`${host}:${dead}`) });
  try {
    const dry = await prune({ dryRun: true, run: id });
    assert.equal(dry.containers.length, 1);
    assert.equal((await containersOf(docker, id)).length, 2);
    const r = await prune({ run: id });
    assert.equal(r.kept, 1);
    assert.ok(r.networks.includes(`kiln-prune-test-${id}`));
    const left = await containersOf(docker, id);
    assert.deepEqual(
      left.map((c) => c.Id),
      [live.id],
    );
    const cli = spawnSync(process.execPath, ['bin/kiln.js', 'prune', '--all', '--run', id], {
      encoding: 'utf8',
      env: { ...process.env, KILN_FROM_SOURCE: '1' },
    });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /removed 1 container\(s\), 0 network\(s\), 0 volume\(s\)/);
    assert.deepEqual(await containersOf(docker, id), []);
  } finally {
    for (const c of [leftover, live]) await c.remove({ force: true }).catch(() => undefined);
    await net.remove().catch(() => undefined);
  }
});

test('a crashing kiln removes its running job container on exit', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const id = runId();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/docker/fixtures/crash.ts', image, id], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /simulated kiln crash/);
  assert.deepEqual(await containersOf(docker, id), []);
});

test('a service exposing a port is waited for before the job starts', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const tmp = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: { 'io.kiln.test': 'commit' } });
  const exposed = `kiln-test/exposed:${image.split(':')[1]}`;
  try {
    await tmp.commit({ repo: exposed.split(':')[0], tag: image.split(':')[1], changes: 'EXPOSE 8080' });
  } finally {
    await tmp.remove({ force: true });
  }
  const slowStart =
    'sleep 2; mkdir -p /tmp/w && echo ready > /tmp/w/index.html && exec busybox httpd -f -p 8080 -h /tmp/w';
  try {
    const r = await runJob(
      createDockerExecutor(DEFAULT_CONFIG),
      makeJob({
        image: { name: image },
        services: [{ name: exposed, alias: ['slow'], entrypoint: ['sh', '-c'], command: [slowStart], variables: {} }],
        script: ['busybox wget -qO- http://slow:8080/'],
      }),
    );
    assert.equal(r.main.exitCode, 0, r.output);
    assert.match(r.output, /\nready\n/);
  } finally {
    await docker
      .getImage(exposed)
      .remove()
      .catch(() => undefined);
  }
});
