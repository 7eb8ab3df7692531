#!/usr/bin/env node
// Restoring a 10,000-file cache into a Docker job, root image user vs a non-root one (image:docker:user): the
// workspace is handed to the container user before the job and back after it. Wall time of a one-job
// `kiln run` whose cache hits (cache pool off, so every run restores from the store). Pass --kiln to compare
// another build of kiln (e.g. an export of an older commit) in the same run.
// Usage: node bench/docker/cache-owner.mjs --image TAG [--runs N] [--files N] [--kiln path/to/bin/kiln.js ...]
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const kilns = args.flatMap((a, i) => (a === '--kiln' ? [resolve(args[i + 1])] : []));
if (!kilns.length) kilns.push(join(root, 'bin/kiln.js'));
const image = opt('--image', undefined);
if (!image) throw new Error('--image TAG is required (e.g. the tag .ci/docker-setup.sh built)');
const runs = Number(opt('--runs', '3'));
const files = Number(opt('--files', '10000'));
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@kiln.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@kiln.invalid',
};

function project(user) {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-cache-owner-'));
  const img = user ? `{ name: "${image}", docker: { user: "${user}" } }` : `"${image}"`;
  const dirs = Math.ceil(files / 100);
  writeFileSync(join(dir, 'kiln.toml'), '[runner]\nexecutor = "docker"\ncache_pool = 0\n');
  writeFileSync(
    join(dir, '.gitlab-ci.yml'),
    `job:
  image: ${img}
  cache: { key: deps, paths: [deps/] }
  script:
    - test -d deps || (mkdir deps && cd deps && for d in $(seq ${dirs}); do mkdir d$d && (cd d$d && for f in $(seq 100); do echo $d$f > f$f; done); done)
    - test $(find deps -type f | wc -l) -ge ${files}
`,
  );
  const git = (...a) => execFileSync('git', a, { cwd: dir, env: { ...process.env, ...GIT_ENV }, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  return dir;
}

function run(kiln, dir) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [kiln, 'run', '--json'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: '1' },
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`kiln run failed in ${dir}: ${r.stderr.slice(-2000)}`);
  return ms;
}

const results = [];
for (const kiln of kilns) {
  for (const [label, user] of [
    ['root', ''],
    ['non-root (65534)', '65534:65534'],
  ]) {
    const dir = project(user);
    run(kiln, dir); // fills the cache
    const times = Array.from({ length: runs }, () => run(kiln, dir));
    results.push({
      kiln,
      user: label,
      best: Math.min(...times),
      median: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)],
    });
  }
}
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; ${files} files; best / median of ${runs} (ms)`,
);
for (const r of results) console.log(`${r.kiln}\t${r.user}\t${r.best.toFixed(0)} / ${r.median.toFixed(0)}`);
