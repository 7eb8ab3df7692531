#!/usr/bin/env node
// Publishing benchmark: N packages of SIZE bytes into a new repository, timed side by side in the same run:
//   kiln publish apt (CLI, signs with openpgp.js) | reprepro includedeb (signs with gpg) |
//   aptly API flow (kiln publish aptly: create repo, upload, add, publish; signs with gpg).
// Usage: node bench/publish/bench.mjs [--count 200] [--size 1048576] [--compression none|gz|xz] [--dist | --kiln BIN] [--json]
// Package building and server start-up are not timed. Needs reprepro, aptly, gpg (else those rows are skipped).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const arg = (name, def) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const COUNT = Number(arg('--count', '200'));
const SIZE = Number(arg('--size', String(1 << 20)));
const asJson = process.argv.includes('--json');
const COMPRESSION = arg('--compression', 'none'); // of the generated .debs: none, gz, xz (dpkg's default; slow to build)

const { register } = await import('tsx/esm/api');
register();
const { buildDeb } = await import(pathToFileURL(join(root, 'src/publish/deb/build.ts')).href);
const pgp = await import('openpgp');

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
function runTimed(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (${code}): ${err.slice(-800)}`));
    });
  });
}
const freePort = () => new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });

const work = await mkdtemp(join(tmpdir(), 'kiln-bench-publish-'));
const gnupg = join(work, 'gnupg');
await mkdir(gnupg, { mode: 0o700 });
const env = { ...process.env, GNUPGHOME: gnupg };
try {
  // Packages (not timed).
  const debDir = join(work, 'debs');
  await mkdir(debDir);
  const debs = [];
  for (let i = 0; i < COUNT; i++) {
    const name = `bench-pkg${String(i).padStart(3, '0')}`;
    const tree = join(work, 'tree');
    await mkdir(join(tree, 'usr/share', name), { recursive: true });
    await writeFile(join(tree, 'usr/share', name, 'blob'), randomBytes(SIZE));
    const built = await buildDeb({ root: tree, controlFile: 'bench', compression: COMPRESSION, mtime: 1700000000, control: { line: 1, fields: [
      { name: 'Package', value: name, line: 1 }, { name: 'Version', value: '1.0', line: 2 }, { name: 'Architecture', value: 'amd64', line: 3 },
      { name: 'Maintainer', value: 'Bench <bench@kiln.invalid>', line: 4 }, { name: 'Section', value: 'misc', line: 4 }, { name: 'Priority', value: 'optional', line: 4 },
      { name: 'Description', value: 'benchmark package', line: 5 }] } });
    const file = join(debDir, `${name}_1.0_amd64.deb`);
    await writeFile(file, built.data);
    await rm(tree, { recursive: true });
    debs.push(file);
  }
  // One key for everyone: armored for kiln, imported into GNUPGHOME for reprepro and aptly.
  const { privateKey } = await pgp.generateKey({ type: 'ecc', userIDs: [{ name: 'bench', email: 'bench@kiln.invalid' }], format: 'armored' });
  const keyFile = join(work, 'key.asc');
  await writeFile(keyFile, privateKey);
  const fpr = (await pgp.readKey({ armoredKey: privateKey })).getFingerprint().toUpperCase();
  const gpgOk = have('gpg') && spawnSync('gpg', ['--batch', '--import', keyFile], { env, stdio: 'ignore' }).status === 0;

  const rows = [];
  // Measure the sources in this checkout through tsx unless asked for the built dist/ (`--dist`, after
  // `npm run build`), or for another built copy (`--kiln path/to/bin/kiln.js`).
  const usesDist = process.argv.includes('--dist') || !!arg('--kiln');
  if (!usesDist) process.env.KILN_FROM_SOURCE = '1';
  const kilnBin = arg('--kiln', join(root, 'bin/kiln.js'));
  const kilnMs = await runTimed(process.execPath, [kilnBin, 'publish', 'apt', '--repo', join(work, 'kiln-repo'),
    '--suite', 'stable', '--valid-for', '14d', '--sign-key', keyFile, ...debs]);
  rows.push({ tool: `kiln publish apt (${usesDist ? 'dist' : 'tsx sources'})`, ms: kilnMs });

  if (have('reprepro') && gpgOk) {
    const rr = join(work, 'reprepro');
    await mkdir(join(rr, 'conf'), { recursive: true });
    await writeFile(join(rr, 'conf/distributions'), `Codename: stable\nSuite: stable\nArchitectures: amd64\nComponents: main\n` +
      `SignWith: ${fpr}\nDebIndices: Packages Release . .gz .xz\n`);
    rows.push({ tool: 'reprepro includedeb', ms: await runTimed('reprepro', ['-b', rr, 'includedeb', 'stable', ...debs], { env }) });
  } else rows.push({ tool: 'reprepro includedeb', skipped: 'reprepro or gpg missing' });

  if (have('aptly') && gpgOk) {
    const conf = join(work, 'aptly.conf');
    await writeFile(conf, JSON.stringify({ rootDir: join(work, 'aptly-root'), gpgProvider: 'gpg', architectures: [] }));
    const port = await freePort();
    const server = spawn('aptly', ['api', 'serve', '-config', conf, '-listen', `127.0.0.1:${port}`], { env: { ...env, GIN_MODE: 'release' }, stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${port}/api/version`).then((r) => r.ok, () => false)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const ms = await runTimed(process.execPath, [kilnBin, 'publish', 'aptly', '--url', `http://127.0.0.1:${port}`,
        '--repo', 'bench', '--distribution', 'stable', '--sign-key', fpr, ...debs], { env });
      rows.push({ tool: 'aptly API flow (upload, add, publish)', ms });
    } finally {
      server.kill();
    }
  } else rows.push({ tool: 'aptly API flow', skipped: 'aptly or gpg missing' });
  spawnSync('gpgconf', ['--homedir', gnupg, '--kill', 'all'], { stdio: 'ignore' });

  const rep = rows.find((r) => r.tool.startsWith('reprepro'))?.ms;
  const result = { count: COUNT, size: SIZE, compression: COMPRESSION, load: loadavg()[0], rows, ratioVsReprepro: rep ? +(kilnMs / rep).toFixed(3) : null, target: 0.5 };
  if (asJson) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`${COUNT} packages x ${SIZE} bytes (members compressed: ${COMPRESSION}) into a new repository; load ${loadavg()[0].toFixed(1)}`);
    for (const r of rows) console.log(`  ${r.tool.padEnd(40)} ${r.skipped ? `skipped (${r.skipped})` : `${(r.ms / 1000).toFixed(2)} s`}`);
    if (rep) console.log(`  kiln / reprepro = ${(kilnMs / rep).toFixed(2)} (target <= 0.5)`);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
