// Reads a binary .deb: checks the ar layout, extracts and parses the control file, and optionally lists the
// data.tar contents. Errors name the .deb and, for control syntax, the line inside its control file.
import { constants, open, type FileHandle } from 'node:fs/promises';
import { readAr, type ArMember } from './ar.js';
import { readTar, type TarReadEntry } from './tar.js';
import { decompress, compressionOfMember } from '../compress.js';
import { parseSingleParagraph, validateBinaryControl, type Paragraph } from './control.js';
import { DebFormatError } from '../errors.js';
import { KilnError, UsageError } from '../../errors.js';

export interface DebInfo {
  file: string;
  control: Paragraph;
  controlText: string;
  /** Other control members (md5sums, maintainer scripts) by name. */
  controlMembers: Map<string, Buffer>;
  controlMember: string;
  dataMember: string;
  /** Only filled when `withContents` is set. */
  contents?: TarReadEntry[];
}

/** The largest .deb read whole into memory (`kiln deb show`); larger ones are refused, not read. */
export const MAX_DEB_IN_MEMORY = 1 << 30;

/**
 * Opens a .deb for reading: only regular files (a device such as /dev/zero, a FIFO or a directory is refused
 * before a byte is read; O_NONBLOCK keeps open() of a FIFO from waiting for a writer). Returns the handle and size.
 */
export async function openDeb(file: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new UsageError(`${file}: no such file`);
    throw new UsageError(`${file}: cannot open: ${err.code ?? err.message}`);
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    const kind = st.isDirectory()
      ? 'a directory'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device'
        : st.isFIFO()
          ? 'a FIFO'
          : st.isSocket()
            ? 'a socket'
            : 'not a regular file';
    throw new UsageError(`${file}: is ${kind}, not a .deb file`);
  }
  return { fh, size: st.size };
}

const MAX_CONTROL_MEMBER = 64 << 20;

export async function readDebFile(file: string, opts: { withContents?: boolean } = {}): Promise<DebInfo> {
  const { fh, size } = await openDeb(file);
  let buf: Buffer;
  try {
    if (size > MAX_DEB_IN_MEMORY) {
      throw new DebFormatError(
        file,
        `${size} bytes is more than the ${MAX_DEB_IN_MEMORY} bytes kiln reads into memory`,
      );
    }
    buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    buf = buf.subarray(0, off);
  } finally {
    await fh.close();
  }
  return readDebBuffer(buf, file, opts);
}

export async function readDebBuffer(
  buf: Buffer,
  file: string,
  opts: { withContents?: boolean } = {},
): Promise<DebInfo> {
  let members;
  try {
    members = readAr(buf);
  } catch (e) {
    throw new DebFormatError(file, (e as Error).message);
  }
  return parseMembers(members, file, opts);
}

/**
 * Reads only the ar headers, debian-binary and the control member of a .deb (not data.tar): what a publish
 * needs to index a package without reading large payloads twice.
 */
export async function readDebControl(file: string): Promise<DebInfo> {
  const { fh, size } = await openDeb(file);
  try {
    if (size === 0) throw new DebFormatError(file, 'empty file');
    const read = async (pos: number, len: number): Promise<Buffer> => {
      const b = Buffer.alloc(len);
      const { bytesRead } = await fh.read(b, 0, len, pos);
      return b.subarray(0, bytesRead);
    };
    const magic = await read(0, 8);
    if (magic.toString('latin1') !== '!<arch>\n') throw new DebFormatError(file, 'missing "!<arch>" magic');
    const members: ArMember[] = [];
    let off = 8;
    while (off + 60 <= size && members.length < 3) {
      const h = (await read(off, 60)).toString('latin1');
      if (h.slice(58, 60) !== '`\n') throw new DebFormatError(file, `bad ar header terminator at byte ${off}`);
      let name = h.slice(0, 16).trimEnd();
      if (name.endsWith('/')) name = name.slice(0, -1);
      const len = Number.parseInt(h.slice(48, 58).trim(), 10);
      if (!Number.isFinite(len) || len < 0 || off + 60 + len > size)
        throw new DebFormatError(file, `member "${name}" truncated`);
      const wanted = name === 'debian-binary' || name.startsWith('control.tar');
      if (wanted && len > MAX_CONTROL_MEMBER)
        throw new DebFormatError(file, `member "${name}" is ${len} bytes (limit ${MAX_CONTROL_MEMBER})`);
      // data.tar's content is not read: only its header, so the layout check sees it.
      members.push({ name, data: wanted ? await read(off + 60, len) : Buffer.alloc(0) });
      off += 60 + len + (len % 2);
    }
    return await parseMembers(members, file, {}); // awaited here: a rejection must not wait unhandled for close()
  } finally {
    await fh.close();
  }
}

async function parseMembers(members: ArMember[], file: string, opts: { withContents?: boolean }): Promise<DebInfo> {
  if (members[0]?.name !== 'debian-binary') throw new DebFormatError(file, 'first member is not "debian-binary"');
  const ver = members[0].data.toString('latin1').trim();
  if (!/^2\.\d+$/.test(ver)) throw new DebFormatError(file, `unsupported format version "${ver}"`);
  const ctlMember = members.find((m) => m.name.startsWith('control.tar'));
  const dataMember = members.find((m) => m.name.startsWith('data.tar'));
  if (!ctlMember) throw new DebFormatError(file, 'no control.tar member');
  if (!dataMember) throw new DebFormatError(file, 'no data.tar member');

  const ctlEntries = await untar(file, ctlMember.name, ctlMember.data);
  const controlMembers = new Map<string, Buffer>();
  for (const e of ctlEntries) {
    if (e.type === 'file') controlMembers.set(e.path.replace(/^\.\//, ''), e.data);
  }
  const controlBuf = controlMembers.get('control');
  if (!controlBuf) throw new DebFormatError(file, `${ctlMember.name} has no "control" file`);
  controlMembers.delete('control');
  const controlText = controlBuf.toString('utf8');
  const where = `${file}:control`;
  const control = parseSingleParagraph(controlText, where);
  validateBinaryControl(control, where);

  const info: DebInfo = {
    file,
    control,
    controlText,
    controlMembers,
    controlMember: ctlMember.name,
    dataMember: dataMember.name,
  };
  if (opts.withContents) info.contents = await untar(file, dataMember.name, dataMember.data);
  return info;
}

async function untar(file: string, member: string, data: Buffer): Promise<TarReadEntry[]> {
  const kind = compressionOfMember(member);
  if (!kind) throw new DebFormatError(file, `unknown compression for member "${member}"`);
  try {
    return readTar(await decompress(data, kind));
  } catch (e) {
    if (e instanceof KilnError) throw e;
    throw new DebFormatError(file, `${member}: ${(e as Error).message}`);
  }
}
