// kiln.toml `network_mode` (GitLab Runner's [runners.docker] network_mode) reaches the job container and the
// after_script container: "none" leaves only the loopback interface, "host" shows the host's interfaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createDockerExecutor } from '../../src/executors/docker/executor.js';
import { DEFAULT_CONFIG, type KilnConfig } from '../../src/config/types.js';
import { readConfigText } from '../../src/config/index.js';
import { AMD64_SPEC, dockerOrSkip, makeJob, runJob, testImage } from './helpers.js';

function config(networkMode: string): KilnConfig {
  return { ...DEFAULT_CONFIG, docker: { ...DEFAULT_CONFIG.docker, networkMode } };
}

test('network_mode from a config.toml-shaped kiln.toml', () => {
  const layer = readConfigText(
    '[[runners]]\nexecutor = "docker"\n[runners.docker]\nnetwork_mode = "host"\n',
    '/p/kiln.toml',
  );
  assert.equal(layer.get('docker.network_mode')?.value, 'host');
});

test('network_mode "none" and "host" apply to the job and after_script containers', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const image = await testImage(AMD64_SPEC);
  const job = makeJob({
    image: { name: image },
    script: ['echo "main: $(ls /sys/class/net | sort | tr "\\n" " ")"'],
    afterScript: ['echo "after: $(ls /sys/class/net | sort | tr "\\n" " ")"'],
  });

  const none = await runJob(createDockerExecutor(config('none')), job);
  assert.equal(none.main.exitCode, 0, none.output);
  assert.match(none.output, /^main: lo $/m);
  assert.match(none.output, /^after: lo $/m);

  const host = await runJob(createDockerExecutor(config('host')), job);
  assert.equal(host.main.exitCode, 0, host.output);
  // The host's interfaces, less the veth pairs that containers of concurrent tests add and remove meanwhile.
  const stable = (names: string[]) =>
    names
      .filter((n) => n && !n.startsWith('veth'))
      .sort()
      .join(' ');
  const hostIfs = stable(readdirSync('/sys/class/net'));
  const seen = (step: string) => stable((new RegExp(`^${step}: (.*)$`, 'm').exec(host.output)?.[1] ?? '').split(' '));
  assert.equal(seen('main'), hostIfs, host.output);
  assert.equal(seen('after'), hostIfs, host.output);
  assert.notEqual(hostIfs, 'lo');
});
