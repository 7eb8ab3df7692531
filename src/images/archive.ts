// Turns a root filesystem tarball into a `docker load` image archive (manifest.json + config JSON + one layer)
// whose config names the right architecture, and streams it to the engine without a second copy on disk.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { DockerError, dockerMessage } from '../executors/docker/client.js';

export interface ImageConfigInput {
  arch: string;
  tag: string;
  labels: Record<string, string>;
  /** Creation time recorded in the config (ISO string). */
  created: string;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One ustar header for a regular file (names here are short, sizes under 8 GiB). */
export function tarHeader(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512, 0);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function imageConfigJson(input: ImageConfigInput, diffId: string): string {
  return JSON.stringify({
    architecture: input.arch,
    os: 'linux',
    created: input.created,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['bash'],
      Labels: input.labels,
    },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    history: [{ created: input.created, created_by: 'kiln image bootstrap (mmdebstrap)' }],
  });
}

/** The image archive as a stream: manifest.json, <config>.json, <layer>/layer.tar. Returns the image id too. */
export async function imageArchive(
  rootfsTar: string,
  input: ImageConfigInput,
): Promise<{ stream: Readable; imageId: string }> {
  const diffId = await sha256File(rootfsTar);
  const config = Buffer.from(imageConfigJson(input, diffId));
  const configDigest = createHash('sha256').update(config).digest('hex');
  const layerName = `${diffId}/layer.tar`;
  const manifest = Buffer.from(
    JSON.stringify([{ Config: `${configDigest}.json`, RepoTags: [input.tag], Layers: [layerName] }]),
  );
  const size = statSync(rootfsTar).size;
  const mtime = Math.floor(Date.parse(input.created) / 1000);
  async function* generate(): AsyncGenerator<Buffer> {
    yield tarHeader(`${configDigest}.json`, config.length, mtime);
    yield config;
    yield padding(config.length);
    yield tarHeader(layerName, size, mtime);
    for await (const chunk of createReadStream(rootfsTar)) yield chunk as Buffer;
    yield padding(size);
    yield tarHeader('manifest.json', manifest.length, mtime);
    yield manifest;
    yield padding(manifest.length);
    yield Buffer.alloc(1024, 0);
  }
  return { stream: Readable.from(generate()), imageId: `sha256:${configDigest}` };
}

/** `docker load` through the API; fails with the engine's message when the load reports an error. */
export async function loadArchive(docker: Docker, archive: Readable): Promise<void> {
  const response = (await docker.loadImage(archive, { quiet: true })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of response as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let msg: { error?: string; errorDetail?: { message?: string } };
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.error || msg.errorDetail)
      throw new DockerError(`docker load failed: ${msg.errorDetail?.message ?? msg.error}`);
  }
}

export { dockerMessage };
