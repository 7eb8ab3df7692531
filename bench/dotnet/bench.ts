// .NET NativeAOT example (examples/dotnet-aot) timings, run on demand: `npx tsx bench/dotnet/bench.ts [--cold-image]`.
//
//   image build    cold (--cold-image: the content tag removed and BuildKit's cache pruned, so apt downloads
//                  again) and unchanged (the content tag exists: nothing is built)
//   NuGet restore  the `restore` job alone with an empty NuGet volume (cold) and again (warm)
//   pipeline       the whole pipeline with an empty NuGet volume (cold) and again (warm)
//
// Without --cold-image the first image build is whatever the engine has (usually "unchanged"). Needs what the
// end-to-end test needs (Docker, binfmt, the bullseye images of images.sh, the .NET 10 SDK). Prints the load average:
// on a shared 2-core machine the figures swing. No reference tool runs this pipeline (gitlab-ci-local has no
// image builds from kiln.toml); its Docker-mode per-job overhead is compared in bench/docker/.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSigningKey, runKiln } from '../../test/flagship/harness.js';
import { copyDotnetExample, dotnetSdkRoot, nugetCounts } from '../../test/flagship/dotnet-aot-host.js';
import { jobLog, runPipeline, type PipelineRun } from '../../test/flagship/pipeline-run.js';

const coldImage = process.argv.includes('--cold-image');
const sdk = dotnetSdkRoot();
if (!sdk.root) throw new Error(sdk.problem);
const base = mkdtempSync(join(tmpdir(), 'kiln-bench-dotnet-'));
const rows: [string, string][] = [];
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
const note = (what: string, value: string) => {
  rows.push([what, value]);
  console.error(`bench: ${what}: ${value} (load ${load()})`);
};

function volume(): string {
  return `kiln-bench-nuget-${randomBytes(4).toString('hex')}`;
}
const volumes: string[] = [];

async function imageBuild(project: string, label: string): Promise<void> {
  const r = await runKiln(['image', 'build', '--json'], { cwd: project, timeoutMs: 60 * 60_000 });
  if (r.code !== 0) throw new Error(`kiln image build failed: ${r.stderr.slice(-3000)}`);
  const [res] = JSON.parse(r.stdout) as { built: boolean; tag: string; steps: { executed: number; cached: number } }[];
  note(
    `image build, ${label}`,
    `${r.seconds.toFixed(1)} s wall (${res.built ? `built: ${res.steps.executed} steps run, ${res.steps.cached} cached` : 'unchanged, not rebuilt'})`,
  );
}

function restoreSummary(run: PipelineRun): string {
  const counts = nugetCounts(jobLog(run, 'restore'));
  const job = run.jobs.get('restore');
  return (
    `${((job?.durationMs ?? 0) / 1000).toFixed(1)} s job (${counts.reduce((n, c) => n + c.requests, 0)} requests, ` +
    `${counts.reduce((n, c) => n + c.downloads, 0)} packages downloaded)`
  );
}

try {
  const keys = await makeSigningKey();
  const vars = { APT_SIGNING_KEY: keys.privateKey };

  // Image: cold (optional) and unchanged.
  const imgProject = join(base, 'image');
  copyDotnetExample(imgProject, sdk.root, volume());
  if (coldImage) {
    spawnSync('docker', ['image', 'rm', '-f', 'kiln-example/dotnet-aot-build:1'], { stdio: 'ignore' });
    const tags = spawnSync(
      'docker',
      ['images', '--format', '{{.Repository}}:{{.Tag}}', 'kiln-example/dotnet-aot-build'],
      { encoding: 'utf8' },
    ).stdout;
    for (const t of tags.split('\n').filter(Boolean))
      spawnSync('docker', ['image', 'rm', '-f', t], { stdio: 'ignore' });
    spawnSync('docker', ['builder', 'prune', '-af'], { stdio: 'ignore' });
    await imageBuild(imgProject, 'cold (no image, BuildKit cache pruned)');
  }
  await imageBuild(imgProject, 'unchanged');

  // NuGet restore: the restore job alone, cold then warm, on a volume of its own.
  const restoreProject = join(base, 'restore');
  const restoreVolume = volume();
  volumes.push(restoreVolume);
  copyDotnetExample(restoreProject, sdk.root, restoreVolume);
  note('NuGet restore, cold volume', restoreSummary(await runPipeline(restoreProject, vars, ['restore'])));
  note('NuGet restore, warm volume', restoreSummary(await runPipeline(restoreProject, vars, ['restore'])));

  // Whole pipeline, cold then warm.
  const pipeProject = join(base, 'pipeline');
  const pipeVolume = volume();
  volumes.push(pipeVolume);
  copyDotnetExample(pipeProject, sdk.root, pipeVolume);
  for (const label of ['cold NuGet volume', 'warm NuGet volume']) {
    const run = await runPipeline(pipeProject, vars);
    if (run.status !== 'passed') throw new Error(`pipeline ${run.status}`);
    const jobs = [...run.jobs.values()].map((j) => `${j.name} ${((j.durationMs ?? 0) / 1000).toFixed(1)}`).join(', ');
    note(`pipeline, ${label}`, `${run.seconds.toFixed(1)} s wall; jobs (s): ${jobs}`);
  }
} finally {
  for (const v of volumes) spawnSync('docker', ['volume', 'rm', '-f', v], { stdio: 'ignore' });
  rmSync(base, { recursive: true, force: true });
}

const table = ['| measurement | result |', '| --- | --- |', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
console.log(table);
mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, '..', 'results', 'dotnet.md'),
  `${table}\n\nload average at the end: ${load()}\n`,
);
