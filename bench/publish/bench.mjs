#!/usr/bin/env node
// Publishing benchmark: N packages of SIZE bytes into a new repository, timed side by side in the same run:
//   kiln publish apt (CLI, signs with openpgp.js) | reprepro includedeb (signs with gpg) |
//   aptly API flow (kiln publish aptly: create repo, upload, add, publish; signs with gpg).
// Usage: node bench/publish/bench.mjs [--count 200] [--size 1048576] [--compression none|gz|xz] [--rounds 3] [--dist | --kiln BIN] [--json]
// Package building and server start-up are not timed. Needs reprepro, aptly, gpg (else those rows are skipped).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const COUNT = Number(arg('--count', '200'));
const SIZE = Number(arg('--size', String(1 << 20)));
const asJson = process.argv.includes('--json');
const ROUNDS = Number(arg('--rounds', '3'));
// data.tar compression of the generated .debs (none, gz, xz — xz of random data is slow to build); control.tar is
// always xz, as dpkg-deb writes it, so reading control members is measured realistically.
const COMPRESSION = arg('--compression', 'none');

const { register } = await import('tsx/esm/api');
register();
const { buildDeb } = await import(pathToFileURL(join(root, 'src/publish/deb/build.ts')).href);
const { readAr, writeAr } = await import(pathToFileURL(join(root, 'src/publish/deb/ar.ts')).href);
const { compress } = await import(pathToFileURL(join(root, 'src/publish/compress.ts')).href);
const pgp = await import('openpgp');

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
// Runs a command under bash so `times` can report the children's CPU time (user + sys) next to the wall time.
function runTimed(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(
      'bash',
      ['-c', '"$@" >/dev/null 2>"$KILN_BENCH_ERR"; rc=$?; times; exit $rc', 'bench', cmd, ...args],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
        ...opts,
        env: { ...(opts.env ?? process.env), KILN_BENCH_ERR: join(work, 'last-stderr') },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', async (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const secs = (out.trim().split('\n')[1] ?? '').split(/\s+/).map((t) => {
        const m = /(\d+)m([\d.]+)s/.exec(t);
        return m ? +m[1] * 60 + +m[2] : 0;
      });
      if (code === 0) resolve({ ms, cpuMs: (secs[0] + secs[1]) * 1000 });
      else
        reject(
          new Error(
            `${cmd} ${args.slice(0, 3).join(' ')} failed (${code}): ${(await readFile(join(work, 'last-stderr'), 'utf8')).slice(-800)}`,
          ),
        );
    });
  });
}
const freePort = () =>
  new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => r(p));
    });
  });

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
    const built = await buildDeb({
      root: tree,
      controlFile: 'bench',
      compression: COMPRESSION,
      mtime: 1700000000,
      control: {
        line: 1,
        fields: [
          { name: 'Package', value: name, line: 1 },
          { name: 'Version', value: '1.0', line: 2 },
          { name: 'Architecture', value: 'amd64', line: 3 },
          { name: 'Maintainer', value: 'Bench <bench@kiln.invalid>', line: 4 },
          { name: 'Section', value: 'misc', line: 4 },
          { name: 'Priority', value: 'optional', line: 4 },
          { name: 'Description', value: 'benchmark package', line: 5 },
        ],
      },
    });
    const file = join(debDir, `${name}_1.0_amd64.deb`);
    const members = readAr(built.data);
    const ctl = members.find((m) => m.name.startsWith('control.tar'));
    const ctlTar = COMPRESSION === 'none' ? ctl.data : (await import('node:zlib')).gunzipSync(ctl.data);
    if (COMPRESSION === 'none' || COMPRESSION === 'gz') {
      Object.assign(ctl, { name: 'control.tar.xz', data: await compress(ctlTar, 'xz') });
    }
    await writeFile(file, writeAr(members));
    await rm(tree, { recursive: true });
    debs.push(file);
  }
  // One key for everyone: armored for kiln, imported into GNUPGHOME for reprepro and aptly.
  const { privateKey } = await pgp.generateKey({
    type: 'ecc',
    userIDs: [{ name: 'bench', email: 'bench@kiln.invalid' }],
    format: 'armored',
  });
  const keyFile = join(work, 'key.asc');
  await writeFile(keyFile, privateKey);
  const fpr = (await pgp.readKey({ armoredKey: privateKey })).getFingerprint().toUpperCase();
  const gpgOk =
    have('gpg') && spawnSync('gpg', ['--batch', '--import', keyFile], { env, stdio: 'ignore' }).status === 0;

  // Measure the sources in this checkout through tsx unless asked for the built dist/ (`--dist`, after
  // `npm run build`), or for another built copy (`--kiln path/to/bin/kiln.js`).
  const usesDist = process.argv.includes('--dist') || !!arg('--kiln');
  if (!usesDist) process.env.KILN_FROM_SOURCE = '1';
  const kilnBin = arg('--kiln', join(root, 'bin/kiln.js'));
  const haveReprepro = have('reprepro') && gpgOk;
  const haveAptly = have('aptly') && gpgOk;

  let server;
  let port;
  if (haveAptly) {
    const conf = join(work, 'aptly.conf');
    await writeFile(conf, JSON.stringify({ rootDir: join(work, 'aptly-root'), gpgProvider: 'gpg', architectures: [] }));
    port = await freePort();
    server = spawn('aptly', ['api', 'serve', '-config', conf, '-listen', `127.0.0.1:${port}`], {
      env: { ...env, GIN_MODE: 'release' },
      stdio: 'ignore',
    });
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(`http://127.0.0.1:${port}/api/version`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // Each round publishes into fresh repositories; tools alternate order between rounds; medians are reported.
  const samples = { kiln: [], reprepro: [], aptly: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const jobs = [
        [
          'kiln',
          () =>
            runTimed(process.execPath, [
              kilnBin,
              'publish',
              'apt',
              '--repo',
              join(work, `kiln-repo-${round}`),
              '--suite',
              'stable',
              '--valid-for',
              '14d',
              '--sign-key',
              keyFile,
              ...debs,
            ]),
        ],
      ];
      if (haveReprepro) {
        jobs.push([
          'reprepro',
          async () => {
            const rr = join(work, `reprepro-${round}`);
            await mkdir(join(rr, 'conf'), { recursive: true });
            await writeFile(
              join(rr, 'conf/distributions'),
              `Codename: stable\nSuite: stable\nArchitectures: amd64\nComponents: main\n` +
                `SignWith: ${fpr}\nDebIndices: Packages Release . .gz .xz\n`,
            );
            return runTimed('reprepro', ['-b', rr, 'includedeb', 'stable', ...debs], { env });
          },
        ]);
      }
      if (haveAptly) {
        jobs.push([
          'aptly',
          () =>
            runTimed(
              process.execPath,
              [
                kilnBin,
                'publish',
                'aptly',
                '--url',
                `http://127.0.0.1:${port}`,
                '--repo',
                `bench${round}`,
                '--distribution',
                `stable${round}`,
                '--sign-key',
                fpr,
                ...debs,
              ],
              { env },
            ),
        ]);
      }
      if (round % 2 === 1) jobs.reverse();
      for (const [name, fn] of jobs) samples[name].push(await fn());
    }
  } finally {
    server?.kill();
  }
  spawnSync('gpgconf', ['--homedir', gnupg, '--kill', 'all'], { stdio: 'ignore' });

  const median = (xs) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length ? a[Math.floor(a.length / 2)] : undefined;
  };
  const row = (tool, key, why) =>
    samples[key].length
      ? {
          tool,
          medianMs: median(samples[key].map((x) => x.ms)),
          medianCpuMs: median(samples[key].map((x) => x.cpuMs)),
          runsMs: samples[key].map((x) => Math.round(x.ms)),
        }
      : { tool, skipped: why };
  const rows = [
    row(`kiln publish apt (${usesDist ? 'built' : 'tsx sources'})`, 'kiln'),
    row('reprepro includedeb', 'reprepro', 'reprepro or gpg missing'),
    row('aptly API flow (upload, add, publish)', 'aptly', 'aptly or gpg missing'),
  ];
  const k = rows[0].medianMs;
  const rep = rows[1].medianMs;
  const cpuRatio = rep ? +(rows[0].medianCpuMs / rows[1].medianCpuMs).toFixed(3) : null;
  const result = {
    count: COUNT,
    size: SIZE,
    compression: COMPRESSION,
    rounds: ROUNDS,
    load: +loadavg()[0].toFixed(1),
    rows,
    ratioVsReprepro: rep ? +(k / rep).toFixed(3) : null,
    cpuRatioVsReprepro: cpuRatio,
    target: 0.5,
  };
  if (asJson) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `${COUNT} packages x ${SIZE} bytes (control.tar.xz, data.tar${COMPRESSION === 'none' ? '' : '.' + COMPRESSION}) into a new repository; ` +
        `median of ${ROUNDS} rounds; load average ${loadavg()[0].toFixed(1)}`,
    );
    for (const r of rows) {
      console.log(
        `  ${r.tool.padEnd(40)} ${r.skipped ? `skipped (${r.skipped})` : `${(r.medianMs / 1000).toFixed(2)} s  (runs: ${r.runsMs.map((x) => (x / 1000).toFixed(2)).join(', ')}; client CPU ${(r.medianCpuMs / 1000).toFixed(2)} s)`}`,
      );
    }
    if (rep) console.log(`  kiln / reprepro = ${(k / rep).toFixed(2)} wall (target <= 0.5), ${cpuRatio} CPU`);
    console.log('  (aptly\'s CPU is spent in the server process; its "client CPU" is only kiln\'s HTTP client)');
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
