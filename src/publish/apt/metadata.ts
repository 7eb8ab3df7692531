// Builds the index files and the signed Release for one suite from its package list.
import { compress, haveTool } from '../compress.js';
import { formatPackagesIndex, type PoolPackage } from './packages-index.js';
import { formatRelease, indexFile, type IndexFile, type ReleaseMeta } from './release.js';
import type { Signer } from '../sign/openpgp.js';

export function hostDebArch(): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'armhf',
    ia32: 'i386',
    ppc64: 'ppc64el',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  return map[process.arch] ?? process.arch;
}

/** Packages, Packages.gz and (if the xz tool exists) Packages.xz for every component × architecture. */
export async function buildIndexes(
  components: Map<string, PoolPackage[]>,
  architectures: string[],
): Promise<IndexFile[]> {
  const out: IndexFile[] = [];
  const withXz = haveTool('xz');
  for (const [comp, pkgs] of components) {
    for (const arch of architectures) {
      const text = Buffer.from(formatPackagesIndex(pkgs.filter((p) => p.arch === arch || p.arch === 'all')));
      const base = `${comp}/binary-${arch}/Packages`;
      out.push(indexFile(base, text), indexFile(`${base}.gz`, await compress(text, 'gz')));
      if (withXz) out.push(indexFile(`${base}.xz`, await compress(text, 'xz')));
    }
  }
  return out;
}

export interface SignedRelease {
  release: string;
  inRelease?: string;
  releaseGpg?: string;
}

export async function buildRelease(meta: ReleaseMeta, indexes: IndexFile[], signer?: Signer): Promise<SignedRelease> {
  const release = formatRelease(meta, indexes);
  if (!signer) return { release };
  const { inRelease, releaseGpg } = await signer.sign(release, meta.date);
  return { release, inRelease, releaseGpg };
}
