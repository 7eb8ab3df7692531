// Bench driver: runs a project's pipeline with the Docker executor in-process (what `kiln run --executor docker`
// does) and prints {"ms": pipeline wall time, "status": ...} as JSON. Also `executor` mode: N sequential
// trivial jobs straight through the executor API (prepare → script → cleanup), printing the per-job times.
// Usage: node --import tsx bench/docker/driver.ts pipeline <projectDir> <concurrency>
//        node --import tsx bench/docker/driver.ts executor <image> <n>
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createDockerExecutor } from '../../src/executors/docker/executor.js';
import { DEFAULT_CONFIG } from '../../src/config/types.js';
import type { Job } from '../../src/pipeline/model.js';

const [mode, arg, count] = process.argv.slice(2);

async function pipelineMode(projectDir: string, concurrency: number): Promise<void> {
  const { loadPipeline } = await import('../../src/pipeline/load.js');
  const { allocatePipeline } = await import('../../src/run/pipelines-dir.js');
  const { runPipeline } = await import('../../src/run/pipeline.js');
  const { projectId } = await import('../../src/run/project-id.js');
  const { Console } = await import('../../src/run/output/console.js');
  const t0 = performance.now();
  const kilnDir = join(projectDir, '.kiln');
  const { id, dir } = await allocatePipeline(kilnDir);
  const pipeline = await loadPipeline({ projectDir, pipelineId: id });
  const summary = await runPipeline({
    pipeline,
    pipelineId: id,
    pipelineDir: dir,
    storeDir: join(kilnDir, 'store'),
    project: projectId(projectDir),
    executor: createDockerExecutor(DEFAULT_CONFIG),
    console: new Console({ color: false, quiet: true }),
    concurrency,
  });
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, status: summary.status }) + '\n');
}

async function executorMode(image: string, n: number): Promise<void> {
  const ex = createDockerExecutor(DEFAULT_CONFIG);
  const job = {
    name: 'bench',
    baseName: 'bench',
    stage: 'test',
    stageIndex: 0,
    position: { file: 'x', line: 1, col: 1 },
    when: 'on_success',
    allowFailure: { allowed: false, exitCodes: [] },
    needs: null,
    dependencies: null,
    services: [],
    beforeScript: [],
    afterScript: [],
    variables: {},
    cache: [],
    tags: [],
    retry: { max: 0, when: [], exitCodes: [] },
    interruptible: false,
    image: { name: image },
    script: ['true'],
  } as Job;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const ws = mkdtempSync(join(tmpdir(), 'kiln-bench-ws-'));
    const t0 = performance.now();
    const p = await ex.prepare({
      job,
      workspaceDir: ws,
      env: { CI_PROJECT_NAMESPACE: 'b', CI_PROJECT_NAME: 'p' },
      runId: `bench-${i}`,
    });
    const r = await ex.runScript(p, 'main', job.script, { onOutput: () => {} });
    await ex.cleanup(p);
    if (r.exitCode !== 0) throw new Error(`bench job failed: ${r.exitCode}`);
    times.push(performance.now() - t0);
  }
  process.stdout.write(JSON.stringify({ times }) + '\n');
}

if (mode === 'pipeline') await pipelineMode(arg, Number(count ?? '1'));
else if (mode === 'executor') await executorMode(arg, Number(count ?? '10'));
else {
  process.stderr.write('usage: driver.ts pipeline <projectDir> <concurrency> | executor <image> <n>\n');
  process.exit(2);
}
