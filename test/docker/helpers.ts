// Shared helpers for the Docker integration tests: engine check (fail under CI=true, skip otherwise), the
// bootstrapped test images (built once, cached by spec tag), synthetic jobs and a one-job runner.
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { connectDocker } from '../../src/executors/docker/client.js';
import { bootstrapImage } from '../../src/images/bootstrap.js';
import { parseBootstrapSpec } from '../../src/images/spec.js';
import type { Job } from '../../src/pipeline/model.js';
import type { Executor, StepResult } from '../../src/executors/types.js';

/** Same specs as .ci/docker-setup.sh, so CI builds them once before the tests. */
export const AMD64_SPEC = { target: 'debian:bookworm', include: ['busybox,zlib1g-dev:arm64'] };
export const ARM64_SPEC = { target: 'debian:bookworm', arch: 'arm64' };

let reachable: Promise<Docker | undefined> | undefined;

/** The engine, or undefined after marking the test skipped; throws (fails) under CI=true. */
export async function dockerOrSkip(t: TestContext): Promise<Docker | undefined> {
  reachable ??= connectDocker(5000).then(
    (d) => d,
    () => undefined,
  );
  const docker = await reachable;
  if (docker) return docker;
  if (process.env.CI === 'true')
    throw new Error('Docker is required under CI=true but the engine is unreachable (run .ci/docker-setup.sh)');
  t.skip('Docker engine not reachable');
  return undefined;
}

const images = new Map<string, Promise<string>>();

/** Tag of a bootstrapped image (builds it on first use; later runs find it by its spec label). */
export function testImage(spec: { target: string; arch?: string; include?: string[] }): Promise<string> {
  const key = JSON.stringify(spec);
  let p = images.get(key);
  if (!p) {
    p = bootstrapImage(parseBootstrapSpec(spec), { onProgress: (l) => process.stderr.write(`# ${l}\n`) }).then(
      (r) => r.tag,
    );
    images.set(key, p);
  }
  return p;
}

export function makeJob(partial: Partial<Job> & { script: string[] }): Job {
  return {
    name: 'job',
    baseName: 'job',
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
    ...partial,
  };
}

export function tempDir(prefix = 'kiln-docker-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface JobRun {
  main: StepResult;
  after?: StepResult;
  output: string;
  projectDir: string;
}

let counter = 0;
export function runId(): string {
  return `t${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

export const BASE_ENV = { CI_PROJECT_NAMESPACE: 'group', CI_PROJECT_NAME: 'proj', CI: 'true' };

/** prepare → main (before_script + script) → after_script → cleanup, like the runner does. */
export async function runJob(
  executor: Executor,
  job: Job,
  o: {
    workspaceDir?: string;
    env?: Record<string, string>;
    id?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
  } = {},
): Promise<JobRun> {
  const workspaceDir = o.workspaceDir ?? tempDir();
  let output = '';
  const onOutput = (c: Buffer) => {
    output += c.toString('utf8');
  };
  const prepared = await executor.prepare(
    { job, workspaceDir, env: { ...BASE_ENV, ...o.env }, runId: o.id ?? runId() },
    o.signal,
  );
  try {
    const main = await executor.runScript(prepared, 'main', [...job.beforeScript, ...job.script], {
      onOutput,
      timeoutMs: o.timeoutMs,
      signal: o.signal,
    });
    let after: StepResult | undefined;
    if (job.afterScript.length) {
      prepared.setup.env.CI_JOB_STATUS = main.exitCode === 0 ? 'success' : 'failed';
      after = await executor.runScript(prepared, 'after', job.afterScript, { onOutput });
    }
    return { main, after, output: output.replace(/\x1b\[[0-9;]*m/g, ''), projectDir: prepared.projectDir };
  } finally {
    await executor.cleanup(prepared);
    if (!o.workspaceDir) rmSync(workspaceDir, { recursive: true, force: true });
  }
}

export async function containersOf(docker: Docker, id: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`io.kiln.run=${id}`] }) });
}
