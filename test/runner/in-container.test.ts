// kiln runner in a container: where the system id is kept when the config is read-only, and the check that the
// Docker executor's builds directory is at the same path for the host's engine (src/runner/in-container.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildsDirProblem,
  checkBuildsDirForEngine,
  hostPathOf,
  ownContainerId,
} from '../../src/runner/in-container.js';
import { systemIdFor } from '../../src/runner/register.js';

const ID = 'a'.repeat(12) + '0123456789abcdef'.repeat(3) + 'b'.repeat(4);
const MOUNTINFO = [
  '812 700 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X',
  '813 812 0:55 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  `820 812 8:1 /var/lib/docker/containers/${ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/sda1 rw`,
  `821 812 8:1 /var/lib/docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw`,
  '822 812 8:1 /srv/kiln/builds /srv/kiln/builds rw,relatime - ext4 /dev/sda1 rw',
  '',
].join('\n');

test("the container's own id comes from the engine's hostname/resolv.conf mounts", () => {
  assert.equal(ID.length, 64);
  assert.equal(ownContainerId(MOUNTINFO), ID);
  assert.equal(ownContainerId('812 700 0:52 / / rw - overlay overlay rw\n'), undefined);
});

test('host paths: the longest mount destination wins; a path in no mount is in the container layer', () => {
  const mounts = [
    { source: '/var/lib/docker/volumes/state/_data', destination: '/var/lib/kiln' },
    { source: '/var/lib/kiln/builds', destination: '/var/lib/kiln/builds/' },
    { source: '/host/etc-kiln', destination: '/etc/kiln' },
  ];
  assert.equal(hostPathOf('/var/lib/kiln/builds', mounts), '/var/lib/kiln/builds');
  assert.equal(hostPathOf('/var/lib/kiln/builds/r/0', mounts), '/var/lib/kiln/builds/r/0');
  assert.equal(hostPathOf('/var/lib/kiln/cache', mounts), '/var/lib/docker/volumes/state/_data/cache');
  assert.equal(hostPathOf('/var/lib/kilnx', mounts), undefined, 'a name prefix is not a directory prefix');
  assert.equal(hostPathOf('/opt/kiln', mounts), undefined);
  assert.equal(buildsDirProblem('/var/lib/kiln/builds', mounts), undefined);
  assert.match(
    buildsDirProblem('/var/lib/kiln/other', mounts)!,
    /is \/var\/lib\/docker\/volumes\/state\/_data\/other on the host.*-v \/var\/lib\/kiln\/other:\/var\/lib\/kiln\/other/,
  );
  assert.match(buildsDirProblem('/opt/builds', mounts)!, /inside the runner's container only/);
});

test('the check: not in a container → nothing asked; in one → the engine is asked and a mismatch throws', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-in-container-'));
  const files = { dockerenv: join(dir, '.dockerenv'), mountinfo: join(dir, 'mountinfo') };
  writeFileSync(files.mountinfo, MOUNTINFO);
  const asked: string[] = [];
  const warnings: string[] = [];
  const engine = (mounts: { Source: string; Destination: string }[]) => async () => ({
    getContainer: (id: string) => ({
      inspect: async () => {
        asked.push(id);
        return { Mounts: mounts };
      },
    }),
  });
  const same = [{ Source: '/srv/kiln/builds', Destination: '/srv/kiln/builds' }];
  await checkBuildsDirForEngine('/srv/kiln/builds', engine(same), (l) => warnings.push(l), files);
  assert.deepEqual(asked, [], 'no /.dockerenv: not a Docker container, nothing to check');
  writeFileSync(files.dockerenv, '');
  writeFileSync(files.mountinfo, '812 700 0:52 / / rw - overlay overlay rw\n');
  await checkBuildsDirForEngine('/srv/kiln/builds', engine(same), (l) => warnings.push(l), files);
  assert.deepEqual(asked, [], 'a /.dockerenv but no container id: another runtime, not checked');
  writeFileSync(files.mountinfo, MOUNTINFO);
  await checkBuildsDirForEngine('/srv/kiln/builds', engine(same), (l) => warnings.push(l), files);
  assert.deepEqual(asked, [ID]);
  const volume = [{ Source: '/var/lib/docker/volumes/v/_data', Destination: '/srv/kiln' }];
  await assert.rejects(
    checkBuildsDirForEngine('/srv/kiln/builds', engine(volume), (l) => warnings.push(l), files),
    (e: Error & { code?: string }) => e.code === 'E_RUNNER_BUILDS_DIR' && /_data\/builds on the host/.test(e.message),
  );
  // An engine that does not know this container (DOCKER_HOST elsewhere) cannot be checked: a warning, no error.
  const elsewhere = async () => ({
    getContainer: () => ({
      inspect: async (): Promise<never> => {
        throw new Error('no such container');
      },
    }),
  });
  await checkBuildsDirForEngine('/srv/kiln/builds', elsewhere, (l) => warnings.push(l), files);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /does not know this container/);
  assert.equal(readFileSync(files.mountinfo, 'utf8'), MOUNTINFO);
});

test('the system id: kept in --state-dir; a config directory that cannot be written warns and goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-state-'));
  // A config "directory" that is a file: writing .runner_system_id next to the config fails (root ignores modes).
  const notADir = join(dir, 'not-a-dir');
  writeFileSync(notADir, '');
  const config = join(notADir, 'kiln.toml');
  const warnings: string[] = [];
  const id = await systemIdFor(config, { warn: (l) => warnings.push(l) });
  assert.match(id, /^s_[0-9a-f]{12}$/);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /cannot save the system id in .*not-a-dir\/\.runner_system_id \(E[A-Z]+\).*--state-dir/);
  await assert.rejects(systemIdFor(config), /cannot save the system id/);

  const state = join(dir, 'state', 'kiln');
  const kept = await systemIdFor(config, { stateDir: state, warn: (l) => warnings.push(l) });
  assert.equal(readFileSync(join(state, '.runner_system_id'), 'utf8'), `${kept}\n`);
  assert.equal(await systemIdFor(config, { stateDir: state }), kept, 'read back on the next start');
  assert.equal(warnings.length, 1);
});
