// Runs one created container to completion: attach (before start, so no output is lost), start, wait;
// kills it on timeout or cancel; reports OOM kills.
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { StepOptions, StepResult } from '../types.js';
import { DockerError, dockerMessage } from './client.js';

function sink(onChunk: (c: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      onChunk(chunk);
      cb();
    },
  });
}

export async function runContainer(
  docker: Docker,
  container: Docker.Container,
  options: StepOptions,
  memoryLimit?: number,
): Promise<StepResult> {
  let timedOut = false;
  let cancelled = false;
  const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadWriteStream;
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  docker.modem.demuxStream(
    stream,
    sink((c) => options.onOutput(c, 'stdout')),
    sink((c) => options.onOutput(c, 'stderr')),
  );

  const kill = () => container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  const onAbort = () => {
    cancelled = true;
    void kill();
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    if (options.signal?.aborted) {
      return { exitCode: 137, timedOut: false, cancelled: true, reason: 'cancelled before start' };
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await container.start();
    } catch (e) {
      throw new DockerError(`cannot start container: ${dockerMessage(e)}`, 'E_DOCKER_START');
    }
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        void kill();
      }, options.timeoutMs);
    }
    const waited = (await container.wait()) as { StatusCode: number; Error?: { Message?: string } | null };
    // Output still in flight arrives before the attach stream ends; do not hang on a stream that never ends.
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000).unref())]);
    const result: StepResult = { exitCode: waited.StatusCode, timedOut, cancelled };
    if (waited.StatusCode === 137 && !timedOut && !cancelled) {
      const info = await container.inspect().catch(() => undefined);
      if (info?.State?.OOMKilled) {
        const limit = memoryLimit ? ` (memory limit ${Math.round(memoryLimit / 1024 / 1024)} MiB)` : '';
        result.reason = `out of memory: the container was OOM-killed${limit}`;
      } else result.reason = 'terminated by SIGKILL';
    } else if (timedOut) result.reason = 'timed out';
    else if (cancelled) result.reason = 'cancelled';
    return result;
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    (stream as unknown as { destroy?: () => void }).destroy?.();
  }
}
