// Non-root job images: finds the uid/gid the job runs as (image:docker:user or the image's USER; names are
// looked up in the image's /etc/passwd and /etc/group) and hands the workspace to it, so jobs never hit
// permission errors on CI_PROJECT_DIR.
import { execFile } from 'node:child_process';
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { DockerError, dockerMessage } from './client.js';

export interface Ids {
  uid: number;
  gid: number;
}

/** Content of the single file in a `docker cp`-style tar archive. */
export function singleFileFromTar(archive: Buffer): string {
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const start = offset + 512;
    if (type === '0' || type === '\0') return archive.subarray(start, start + size).toString('utf8');
    offset = start + Math.ceil(size / 512) * 512;
  }
  return '';
}

async function readFileFromContainer(container: Docker.Container, path: string): Promise<string> {
  try {
    const stream = (await container.getArchive({ path })) as NodeJS.ReadableStream;
    const chunks: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    return singleFileFromTar(Buffer.concat(chunks));
  } catch {
    return '';
  }
}

function lookup(table: string, name: string): string[] | undefined {
  for (const line of table.split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return f;
  }
  return undefined;
}

export function isRootUser(user: string | undefined): boolean {
  return !user || user === 'root' || user === '0' || user.startsWith('0:') || user.startsWith('root:');
}

/** Resolves "name", "uid", "name:group" or "uid:gid" against the container's passwd/group files. */
export async function resolveIds(container: Docker.Container, user: string): Promise<Ids> {
  const [u, g] = user.split(':');
  let passwd: string | undefined;
  const getPasswd = async () => (passwd ??= await readFileFromContainer(container, '/etc/passwd'));
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const entry = (await getPasswd())
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f[2] === u);
    if (entry) gid = Number(entry[3]);
  } else {
    const entry = lookup(await getPasswd(), u);
    if (!entry)
      throw new DockerError(
        `user "${u}" (image:docker:user or the image's USER) is not in the image's /etc/passwd`,
        'E_DOCKER_USER',
      );
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const entry = lookup(await readFileFromContainer(container, '/etc/group'), g);
      if (!entry) throw new DockerError(`group "${g}" is not in the image's /etc/group`, 'E_DOCKER_USER');
      gid = Number(entry[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}

async function walk(path: string, visit: (p: string) => Promise<void>): Promise<void> {
  await visit(path);
  const st = await lstat(path);
  if (!st.isDirectory()) return;
  for (const name of await readdir(path)) await walk(join(path, name), visit);
}

/**
 * Gives the workspace to uid:gid. As root this is a chown; otherwise (rootless kiln) the tree is made
 * world-writable instead, which lets any container user write it.
 */
export async function handOver(dir: string, ids: Ids): Promise<'chown' | 'chmod'> {
  const st = await lstat(dir);
  if (st.uid === ids.uid && st.gid === ids.gid) return 'chown';
  try {
    await chownTree(dir, ids);
    return 'chown';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM')
      throw new DockerError(`cannot hand the workspace to ${ids.uid}:${ids.gid}: ${dockerMessage(e)}`);
    await walk(dir, async (p) => {
      const s = await lstat(p);
      if (!s.isSymbolicLink()) await chmod(p, s.mode | (s.isDirectory() ? 0o777 : 0o666));
    });
    return 'chmod';
  }
}

/**
 * One `chown -R` for the whole tree (a single process, no round trip per file: a 10,000-file workspace is
 * handed over several times faster than with one lchown call per file). `-h` and the default `-P` never
 * follow a symlink, so nothing outside the tree changes owner. Without a chown binary, one lchown per entry.
 */
async function chownTree(dir: string, ids: Ids): Promise<void> {
  try {
    await promisify(execFile)('chown', ['-R', '-h', '-P', `${ids.uid}:${ids.gid}`, '--', dir], { maxBuffer: 1 << 20 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      await walk(dir, (p) => lchown(p, ids.uid, ids.gid));
      return;
    }
    const why = (err.stderr ?? '').trim() || err.message;
    throw Object.assign(new Error(why), { code: /Operation not permitted/.test(why) ? 'EPERM' : 'EFAIL' });
  }
}
