// Docker not reachable: a clear error that says how to start it (no engine needed for this test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connectDocker } from '../../src/executors/docker/client.js';
import { EnvironmentError } from '../../src/errors.js';

test('unreachable engine: EnvironmentError naming DOCKER_HOST and how to start Docker', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'unix:///nonexistent/kiln-test-docker.sock';
  try {
    await assert.rejects(connectDocker(3000), (e: unknown) => {
      assert.ok(e instanceof EnvironmentError);
      assert.equal(e.exitCode, 3);
      assert.match(
        e.message,
        /cannot reach the Docker Engine at DOCKER_HOST=unix:\/\/\/nonexistent\/kiln-test-docker\.sock/,
      );
      assert.match(e.message, /systemctl start docker/);
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

test('`kiln prune` with no engine exits 3 with the message', () => {
  const r = spawnSync(process.execPath, ['bin/kiln.js', 'prune'], {
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: '1', DOCKER_HOST: 'unix:///nonexistent/kiln.sock' },
  });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /^kiln: cannot reach the Docker Engine at DOCKER_HOST=unix:\/\/\/nonexistent\/kiln\.sock/);
});
