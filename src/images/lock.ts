// One bootstrap per spec at a time on this host: a lock file holding the builder's pid. A second kiln (or test
// worker) asking for the same image waits, then finds the image already built. Stale locks of dead
// processes are taken over.
import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../util/process-alive.js';

export async function withSpecLock<T>(hash: string, onWait: () => void, fn: () => Promise<T>): Promise<T> {
  const path = join(tmpdir(), `kiln-bootstrap-${hash.slice(0, 24)}.lock`);
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim() || 'NaN');
      if (Number.isInteger(pid) && !processAlive(pid)) {
        rmSync(path, { force: true });
        continue;
      }
      if (!announced) {
        announced = true;
        onWait();
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
