// Loads the .deb files given to a publish: parses the control member (reading only the archive's head) and
// hashes the file with SHA-256 in one streaming pass.
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { readDebControl } from '../deb/read.js';
import { getField, type Paragraph } from '../deb/control.js';

export interface IncomingDeb {
  file: string;
  size: number;
  control: Paragraph;
  name: string;
  version: string;
  arch: string;
  sha256: string;
}

export async function loadDeb(file: string): Promise<IncomingDeb> {
  const info = await readDebControl(file);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return {
    file, size, control: info.control,
    name: getField(info.control, 'Package')!,
    version: getField(info.control, 'Version')!,
    arch: getField(info.control, 'Architecture')!,
    sha256: hash.digest('hex'),
  };
}

/** Runs `fn` over items with at most `limit` in flight, keeping result order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}
