// Issue 15 item 9c without an engine: the readiness wait reports a service that never opens its port or dies,
// and serviceProblems turns that into GitLab Runner's warning with the service's log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type Docker from 'dockerode';
import { demuxLogs, serviceProblems, waitForPorts } from '../../src/executors/docker/services.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function fakeContainer(port: number, state: () => { Running: boolean; ExitCode: number }): Docker.Container {
  return {
    inspect: async () => ({
      Config: { ExposedPorts: { [`${port}/tcp`]: {} } },
      NetworkSettings: { Networks: { net: { IPAddress: '127.0.0.1' } } },
      State: state(),
    }),
  } as unknown as Docker.Container;
}

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

test('a port that never opens is reported after the wait; a service that exits is reported at once', async () => {
  const port = await freePort();
  const never = await waitForPorts(
    fakeContainer(port, () => ({ Running: true, ExitCode: 0 })),
    'net',
    600,
  );
  assert.match(never ?? '', new RegExp(`port ${port}/tcp did not accept connections within`));
  const t0 = Date.now();
  const died = await waitForPorts(
    fakeContainer(port, () => ({ Running: false, ExitCode: 127 })),
    'net',
    30_000,
  );
  assert.match(died ?? '', /exited with code 127/);
  assert.ok(Date.now() - t0 < 5000, 'a dead service is not waited for');
  const server = createServer().listen(port, '127.0.0.1');
  try {
    assert.equal(
      await waitForPorts(
        fakeContainer(port, () => ({ Running: true, ExitCode: 0 })),
        'net',
        600,
      ),
      undefined,
    );
  } finally {
    server.close();
  }
});

test("serviceProblems: GitLab's warning with the service log, nothing for a healthy service", async () => {
  const logs = Buffer.concat([frame(1, 'starting\n'), frame(2, 'FATAL: bad config\n')]);
  assert.equal(demuxLogs(logs), 'starting\nFATAL: bad config\n');
  const containers: Record<string, { Running: boolean; ExitCode: number }> = {
    a: { Running: false, ExitCode: 127 },
    b: { Running: true, ExitCode: 0 },
  };
  const docker = {
    getContainer: (id: string) => ({ inspect: async () => ({ State: containers[id] }), logs: async () => logs }),
  } as unknown as Docker;
  const svc = (name: string) => ({ name, alias: [], variables: {} }) as never;
  const warnings = await serviceProblems(docker, [
    { service: svc('postgres:16'), id: 'a' },
    { service: svc('redis:7'), id: 'b' },
  ]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^\*\*\* WARNING: Service postgres:16 probably didn't start properly\./);
  assert.match(warnings[0], /Health check error:\nthe service exited with code 127/);
  assert.match(warnings[0], /Service container logs:\nstarting\nFATAL: bad config/);
  const slow = await serviceProblems(docker, [
    { service: svc('redis:7'), id: 'b', healthError: 'port 6379/tcp did not accept connections within 30 s' },
  ]);
  assert.match(slow[0], /did not accept connections within 30 s/);
});
