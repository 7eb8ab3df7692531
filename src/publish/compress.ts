// Compression for .deb members and apt indexes. gzip uses node:zlib (deterministic: no name, mtime 0).
// xz and zstd use the `xz` / `zstd` command-line tools (xz-utils, zstd packages): no well-kept pure-JS xz
// encoder exists, and the CLIs are what dpkg itself uses. `xz -T1` keeps the output byte-reproducible.
import { gzipSync, gunzipSync, constants } from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { EnvironmentError } from '../errors.js';
import { XzBatcher } from './xz-batch.js';

let xzBatcher: XzBatcher | undefined;

export type Compression = 'gz' | 'xz' | 'zst' | 'none';

const available = new Map<string, boolean>();

export function haveTool(tool: 'xz' | 'zstd'): boolean {
  let ok = available.get(tool);
  if (ok === undefined) {
    const r = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    ok = r.status === 0;
    available.set(tool, ok);
  }
  return ok;
}

function pipeThrough(cmd: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new EnvironmentError(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${cmd} ${args.join(' ')} failed: ${Buffer.concat(err).toString().trim()}`));
    });
    child.stdin.on('error', () => {
      /* reported through close */
    });
    child.stdin.end(input);
  });
}

export async function compress(data: Buffer, kind: Compression): Promise<Buffer> {
  switch (kind) {
    case 'none':
      return data;
    case 'gz':
      return gzipSync(data, { level: constants.Z_BEST_COMPRESSION });
    case 'xz':
      if (!haveTool('xz')) throw new EnvironmentError('xz compression needs the `xz` tool (apt-get install xz-utils)');
      return pipeThrough('xz', ['-c', '-6', '-T1', '--check=crc64'], data);
    case 'zst':
      if (!haveTool('zstd'))
        throw new EnvironmentError('zstd compression needs the `zstd` tool (apt-get install zstd)');
      return pipeThrough('zstd', ['-c', '-q', '-19'], data);
  }
}

export async function decompress(data: Buffer, kind: Compression): Promise<Buffer> {
  switch (kind) {
    case 'none':
      return data;
    case 'gz':
      return gunzipSync(data);
    case 'xz':
      if (!haveTool('xz')) throw new EnvironmentError('reading xz data needs the `xz` tool (apt-get install xz-utils)');
      xzBatcher ??= new XzBatcher((input) => pipeThrough('xz', ['-dc'], input));
      return xzBatcher.decompress(data);
    case 'zst':
      if (!haveTool('zstd'))
        throw new EnvironmentError('reading zstd data needs the `zstd` tool (apt-get install zstd)');
      return pipeThrough('zstd', ['-dc', '-q'], data);
  }
}

/** Maps a .deb member suffix ("control.tar.xz") to its compression. */
export function compressionOfMember(name: string): Compression | undefined {
  if (name.endsWith('.tar')) return 'none';
  if (name.endsWith('.tar.gz')) return 'gz';
  if (name.endsWith('.tar.xz')) return 'xz';
  if (name.endsWith('.tar.zst')) return 'zst';
  return undefined;
}

export function memberSuffix(kind: Compression): string {
  return kind === 'none' ? '' : `.${kind}`;
}
