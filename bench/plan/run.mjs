#!/usr/bin/env node
// Benchmark for `kiln jobs`: wall time on a generated 1000-job pipeline (target <= 0.3 s), a 10-job one
// (target <= 0.15 s) and 1,500 jobs built with YAML merge keys (`<<: *tpl`, target <= 1 s; once 31 s), using the built dist/ (built first if missing), side by side with `gitlab-ci-local --list`
// (installed on first use into $TMPDIR/kiln-bench-peer, see ../peer.mjs). Usage: node bench/plan/run.mjs [--runs N] [--build] [--no-peer]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigPipeline, mergeKeyPipeline, smallPipeline } from './generate.mjs';
import { installPeer } from '../peer.mjs';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 7;
const wantPeer = !args.includes('--no-peer');

if (args.includes('--build') || !existsSync(join(root, 'dist', 'kiln.cjs'))) {
  console.log('building dist/ (npm run build)...');
  const b = spawnSync(process.execPath, ['scripts/build.mjs', '--no-check'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

function time(cmd, argv, cwd, extraEnv = {}) {
  const walls = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    last = spawnSync(cmd, argv, { cwd, encoding: 'utf8', env: { ...process.env, KILN_FROM_SOURCE: '', ...extraEnv } });
    walls.push(Number(process.hrtime.bigint() - t) / 1e9);
    if (last.status !== 0) {
      // The last lines: tools print warnings first and the reason they stopped at the end.
      return { error: `${last.stdout ?? ''}${last.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ') };
    }
  }
  walls.sort((a, b) => a - b);
  return { min: walls[0], median: walls[Math.floor(walls.length / 2)], out: last.stdout };
}

const work = mkdtempSync(join(tmpdir(), 'kiln-bench-plan-'));
try {
  const cases = [
    ['1000-job', bigPipeline(), 0.3],
    ['10-job', smallPipeline(), 0.15],
    // gitlab-ci-local (js-yaml) refuses the 1,500-job file ("merge keys exceeded maxTotalMergeKeys (10000)"), so
    // the 750-job one is there to compare with it.
    ['750-job <<', mergeKeyPipeline(750), 1.0],
    ['1500-job <<', mergeKeyPipeline(1500), 1.0],
  ];
  const peer = wantPeer ? installPeer() : null;
  console.log(
    `node ${process.version}, ${runs} runs each, wall seconds (min / median); load average ` +
      `${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs`,
  );
  const base = time(process.execPath, ['-e', ''], work);
  console.log(`baseline: node -e '' ${base.min.toFixed(3)} / ${base.median.toFixed(3)} (process start-up alone)`);
  for (const [name, yaml, target] of cases) {
    const dir = join(work, name.replace(/[^a-z0-9-]/gi, '_'));
    spawnSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, '.gitlab-ci.yml'), yaml);
    spawnSync('git', ['init', '-q', '-b', 'main', dir]);
    // Through the `kiln` launcher (bin/kiln), as users run it, with this node first on PATH.
    const kilnArgs = [join(root, 'bin', 'kiln'), 'jobs', '--json', '--ref', 'main', '--default-branch', 'main'];
    const path = `${dirname(process.execPath)}:${process.env.PATH}`;
    // Cold: no parsed-file cache, as on a first run (the target is for this one). Warm: the file parsed before.
    const k = time('/bin/sh', kilnArgs, dir, { KILN_NO_PARSE_CACHE: '1', PATH: path });
    const xdg = join(dir, '.bench-cache');
    time('/bin/sh', kilnArgs, dir, { XDG_CACHE_HOME: xdg, KILN_NO_PARSE_CACHE: '', PATH: path });
    const warm = time('/bin/sh', kilnArgs, dir, { XDG_CACHE_HOME: xdg, KILN_NO_PARSE_CACHE: '', PATH: path });
    if (k.error) {
      console.log(`${name}: kiln jobs failed: ${k.error}`);
      continue;
    }
    const count = Object.keys(JSON.parse(k.out).jobs).length;
    const verdict = k.median <= target ? 'ok' : 'OVER TARGET';
    let line =
      `${name} (${count} jobs): kiln jobs ${k.min.toFixed(3)} / ${k.median.toFixed(3)} (target <= ${target}: ` +
      `${verdict}; parsed-file cache warm ${warm.min.toFixed(3)} / ${warm.median.toFixed(3)})`;
    if (peer) {
      const g = time(peer.node, [peer.gcl, '--list'], dir);
      line += g.error
        ? `; gitlab-ci-local --list failed: ${g.error}`
        : `; gitlab-ci-local --list ${g.min.toFixed(3)} / ${g.median.toFixed(3)}`;
    } else line += wantPeer ? '; gitlab-ci-local: could not be installed' : '';
    console.log(line);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
