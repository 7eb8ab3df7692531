// Docker executor pieces that need no engine: environment translation, mounts from kiln.toml, service
// aliases, and the POSIX-sh step script (run here with the host's sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerEnv, hostConfig, usesVarsDir } from '../../src/executors/docker/container-spec.js';
import { serviceAliases } from '../../src/executors/docker/services.js';
import { buildPosixStepScript, stepCommand } from '../../src/executors/docker/script.js';
import { singleFileFromTar } from '../../src/executors/docker/user.js';
import { checkRunnable } from '../../src/executors/docker/image.js';
import { EnvironmentError } from '../../src/errors.js';
import { DEFAULT_CONFIG } from '../../src/config/types.js';
import { parseVolume } from '../../src/config/values.js';

test('job environment: host paths become container paths; pass-through host variables are dropped', () => {
  const env = containerEnv(
    {
      CI_PROJECT_DIR: '/host/ws/job',
      OUT: '/host/ws/job/out',
      SECRET_FILE: '/host/ws/job.tmp/SECRET_FILE',
      PATH: '/host/bin',
      HOME: '/root',
      MY_VAR: 'x',
      CI_JOB_NAME: 'build',
    },
    { workspaceDir: '/host/ws/job', projectDir: '/builds/g/p', buildsDir: '/builds' },
    new Set(['MY_VAR']),
    { PATH: '/host/bin', HOME: '/root', MY_VAR: 'x' },
  );
  assert.deepEqual(env.sort(), [
    'CI_BUILDS_DIR=/builds',
    'CI_JOB_NAME=build',
    'CI_PROJECT_DIR=/builds/g/p',
    'MY_VAR=x',
    'OUT=/builds/g/p/out',
    'SECRET_FILE=/.kiln/vars/SECRET_FILE',
  ]);
  assert.equal(usesVarsDir({ A: '/host/ws/job.tmp/A' }, '/host/ws/job'), true);
  assert.equal(usesVarsDir({ A: '/host/ws/job/x' }, '/host/ws/job'), false);
});

test('kiln.toml docker settings become the container host config', () => {
  const hc = hostConfig(
    {
      ...DEFAULT_CONFIG.docker,
      privileged: true,
      memory: 1 << 30,
      cpus: 1.5,
      shmSize: 1 << 27,
      networkMode: 'host',
      volumes: ['/opt/tc:/opt/tc:ro', 'nuget:/root/.nuget/packages', '/cache'].map(parseVolume),
    },
    ['/ws:/builds/g/p'],
  );
  assert.deepEqual(hc.Binds, ['/ws:/builds/g/p', '/opt/tc:/opt/tc:ro']);
  assert.deepEqual(hc.Mounts, [
    {
      Type: 'volume',
      Source: 'nuget',
      Target: '/root/.nuget/packages',
      ReadOnly: false,
      VolumeOptions: { Labels: { 'io.kiln.persistent': 'true' } },
    },
    { Type: 'volume', Target: '/cache' },
  ]);
  assert.equal(hc.Privileged, true);
  assert.equal(hc.Memory, 1 << 30);
  assert.equal(hc.NanoCpus, 1_500_000_000);
  assert.equal(hc.ShmSize, 1 << 27);
  assert.equal(hc.NetworkMode, 'host');
});

test('service aliases follow GitLab: name without tag, / as __ and -, plus alias:', () => {
  const s = (name: string, alias: string[] = []) => ({ name, alias, variables: {} });
  assert.deepEqual(serviceAliases(s('tutum/wordpress:latest', ['wp'])), ['tutum__wordpress', 'tutum-wordpress', 'wp']);
  assert.deepEqual(serviceAliases(s('postgres:16')), ['postgres']);
  assert.deepEqual(serviceAliases(s('registry.example.com/group/db@sha256:abc')), [
    'registry.example.com__group__db',
    'registry.example.com-group-db',
  ]);
});

test('POSIX step script: echo, stop at first failure, state carries between lines, odd quoting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-posix-'));
  const script = buildPosixStepScript(
    ['X="it\'s ok"', 'echo "$X"', 'cd sub 2>/dev/null || mkdir sub', 'false', 'echo never'],
    dir,
  );
  writeFileSync(join(dir, 'step.sh'), script);
  const r = spawnSync('sh', [join(dir, 'step.sh')], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  const out = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(out, `$ X="it's ok"\n$ echo "$X"\nit's ok\n$ cd sub 2>/dev/null || mkdir sub\n$ false\n`);
  assert.deepEqual(stepCommand('main', 'sh'), ['sh', '-c', ': > /.kiln/status/main.ran; exec sh /.kiln/steps/main.sh']);
  assert.match(
    stepCommand('after', 'bash')[2],
    /command -v bash .* exec bash --noprofile --norc \/\.kiln\/steps\/after\.bash; fi; exec sh \/\.kiln\/steps\/after\.sh/,
  );
});

test('single-file tar (docker cp format) is read', () => {
  const header = Buffer.alloc(512);
  header.write('passwd', 0);
  header.write('0000000012\0', 124);
  header.write('0', 156);
  const body = Buffer.alloc(512);
  body.write('root:x:0:\n');
  assert.equal(singleFileFromTar(Buffer.concat([header, body, Buffer.alloc(1024)])), 'root:x:0:\n');
});

test('an image for an architecture without binfmt emulation is refused with how to fix it', () => {
  const fake = (arch: string) => ({ Architecture: arch }) as unknown as Parameters<typeof checkRunnable>[0];
  assert.doesNotThrow(() => checkRunnable(fake(process.arch === 'arm64' ? 'arm64' : 'amd64'), 'x'));
  assert.throws(
    () => checkRunnable(fake('sparc64'), 'kiln/odd:1'),
    (e: unknown) => {
      assert.ok(e instanceof EnvironmentError);
      assert.match(
        e.message,
        /image kiln\/odd:1 is linux\/sparc64 but this \w+ machine has no binfmt emulation for sparc64: install it with `apt-get install qemu-user-static binfmt-support`/,
      );
      return true;
    },
  );
});
