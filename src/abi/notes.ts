// PT_NOTE segments: the NT_GNU_ABI_TAG kernel floor, the GNU build id and the Go toolchain's build id note.
import type { Fields } from './binary.js';
import * as C from './constants.js';
import type { ProgramHeader } from './header.js';
import type { ByteSource } from './source.js';

const MAX_NOTES = 256;
const MAX_NOTE_BYTES = 1 << 20;

export interface NoteInfo {
  /** Minimum kernel "x.y.z" from NT_GNU_ABI_TAG (Linux only). */
  abiTagKernel?: string;
  /** Operating system named by NT_GNU_ABI_TAG when it is not Linux. */
  abiTagOs?: string;
  buildId?: string;
  goBuildId?: string;
}

const OS_NAMES = ['Linux', 'Hurd', 'Solaris', 'FreeBSD', 'NetBSD', 'Syllable'];

export function readNotes(src: ByteSource, f: Fields, phdrs: ProgramHeader[]): NoteInfo {
  const info: NoteInfo = {};
  for (const p of phdrs) {
    if (p.type !== C.PT_NOTE || p.filesz === 0 || p.filesz > MAX_NOTE_BYTES) continue;
    if (p.offset + p.filesz > src.size) continue;
    const b = src.read(p.offset, p.filesz, 'note segment');
    const align = p.align === 8 ? 8 : 4;
    let o = 0;
    for (let n = 0; n < MAX_NOTES && o + 12 <= b.length; n++) {
      const namesz = f.u32(b, o);
      const descsz = f.u32(b, o + 4);
      const type = f.u32(b, o + 8);
      const nameOff = o + 12;
      const descOff = nameOff + pad(namesz, align);
      const end = descOff + pad(descsz, align);
      if (descOff + descsz > b.length || nameOff + namesz > b.length) break;
      const rawName = b.subarray(nameOff, nameOff + namesz);
      const nul = rawName.indexOf(0);
      const name = rawName.toString('latin1', 0, nul < 0 ? rawName.length : nul);
      const desc = b.subarray(descOff, descOff + descsz);
      if (name === 'GNU' && type === C.NT_GNU_ABI_TAG && descsz >= 16) {
        const os = f.u32(desc, 0);
        const ver = `${f.u32(desc, 4)}.${f.u32(desc, 8)}.${f.u32(desc, 12)}`;
        if (os === 0) info.abiTagKernel = ver;
        else info.abiTagOs = `${OS_NAMES[os] ?? `os-${os}`} ${ver}`;
      } else if (name === 'GNU' && type === 3 /* NT_GNU_BUILD_ID */) {
        info.buildId = desc.toString('hex');
      } else if (name === 'Go' && type === C.NT_GO_BUILDID) {
        const end = desc.indexOf(0);
        info.goBuildId = desc.toString('latin1', 0, end < 0 ? desc.length : end);
      }
      if (end <= o) break;
      o = end;
    }
  }
  return info;
}

function pad(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
