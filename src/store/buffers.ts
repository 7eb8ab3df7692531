// Reusable 1 MiB I/O buffers for pack reads and writes. Jobs save and restore at the same time, each needing one;
// handing finished ones on keeps kiln's memory flat instead of leaving them to the garbage collector.

export const IO_BUFFER_SIZE = 1024 * 1024;
const KEEP = 4;
const free: Buffer[] = [];

export function takeBuffer(): Buffer {
  return free.pop() ?? Buffer.allocUnsafe(IO_BUFFER_SIZE);
}

export function giveBuffer(buf: Buffer): void {
  if (free.length < KEEP && buf.length === IO_BUFFER_SIZE) free.push(buf);
}
