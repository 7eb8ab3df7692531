// Stages the .deb files given to a publish: control parsed, file copied next to the pool and hashed (SHA-256).
import { createHash, randomBytes } from 'node:crypto';
import { constants, copyFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { openDeb, readDebControl } from '../deb/read.js';
import { getField, type Paragraph } from '../deb/control.js';
import { mapLimit } from '../../util/map-limit.js';

export interface IncomingDeb {
  file: string;
  /** The copy inside the repository's staging directory; this is what was hashed and what enters the pool. */
  staged: string;
  size: number;
  control: Paragraph;
  name: string;
  version: string;
  arch: string;
  sha256: string;
}

/**
 * Copies a file into `stagingDir` (same filesystem as the pool, so it can later be renamed into place), then
 * hashes the copy and flushes it to disk: the index always describes exactly the bytes that enter the pool,
 * even if the input file changes meanwhile.
 */
async function stageCopy(file: string, stagingDir: string): Promise<{ staged: string; size: number; sha256: string }> {
  // Only regular files are copied (a device like /dev/zero would be copied until the disk is full).
  await (await openDeb(file)).fh.close();
  const staged = join(stagingDir, `${randomBytes(8).toString('hex')}.deb`);
  // A copy-on-write clone where the filesystem supports it (btrfs, xfs), else a kernel-side copy.
  await copyFile(file, staged, constants.COPYFILE_FICLONE);
  return { staged, ...(await hashFile(staged, true)) };
}

// Read buffers are reused across files: hashing hundreds of large packages then allocates almost nothing.
const spareBuffers: Buffer[] = [];

/** Hashes a file; with `flush`, also forces its data to disk (overlapping the flush with other files' work). */
async function hashFile(path: string, flush: boolean): Promise<{ size: number; sha256: string }> {
  const buf = spareBuffers.pop() ?? Buffer.allocUnsafe(1 << 20);
  const fh = await open(path, 'r');
  try {
    const synced = flush ? fh.datasync() : undefined;
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    await synced;
    return { size, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
    spareBuffers.push(buf);
  }
}

/**
 * Stages .deb files: control members are parsed (many at once, so xz-compressed ones share `xz` processes)
 * while the files are copied, hashed and flushed with bounded concurrency.
 */
export async function stageDebs(files: string[], stagingDir: string): Promise<IncomingDeb[]> {
  let bad = false;
  const controls = mapLimit(files, 64, async (f) => (await readDebControl(f)).control).catch((e: unknown) => {
    bad = true;
    throw e;
  });
  const copies = mapLimit(
    files,
    8,
    (f) => stageCopy(f, stagingDir),
    () => bad,
  );
  const [ctl, cp] = await Promise.allSettled([controls, copies]);
  if (ctl.status === 'rejected') throw ctl.reason;
  if (cp.status === 'rejected') throw cp.reason;
  return files.map((file, i) => {
    const control = ctl.value[i];
    return {
      file,
      ...cp.value[i],
      control,
      name: getField(control, 'Package')!,
      version: getField(control, 'Version')!,
      arch: getField(control, 'Architecture')!,
    };
  });
}
