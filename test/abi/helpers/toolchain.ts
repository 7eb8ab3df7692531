// Test helpers: compile C/C++/Rust sources into a temp dir, build (once, cached) a bullseye arm64 sysroot with
// mmdebstrap, and remove section headers from a copy of a binary.
import { hostMirror } from '../../../src/images/host-mirror.js';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why a toolchain test must be skipped, or false when it can run. Under CI=true nothing is skipped. */
export function skipUnless(cmd: string): string | false {
  if (have(cmd)) return false;
  if (process.env.CI === 'true') return false; // CI installs it; a missing tool must fail there, not skip.
  return `${cmd} is not installed`;
}

export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `source` to dir/name.ext and compiles it with `compiler args`; returns the output path. */
export function compile(
  dir: string,
  name: string,
  ext: string,
  source: string,
  compiler: string,
  args: string[] = [],
): string {
  const src = join(dir, `${name}.${ext}`);
  const out = join(dir, name);
  writeFileSync(src, source);
  run(compiler, [src, '-o', out, ...args]);
  return out;
}

export const HELLO_C = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n';
export const EXP_C =
  '#include <stdio.h>\n#include <math.h>\n#include <stdlib.h>\n' +
  'int main(int argc, char **argv) { printf("%f\\n", exp(atof(argc > 1 ? argv[1] : "1"))); return 0; }\n';
export const CXX_SRC =
  '#include <iostream>\n#include <string>\n#include <stdexcept>\n' +
  "int main(int argc, char **) { std::string s(argc, 'x'); try { if (argc > 5) throw std::runtime_error(s); } " +
  'catch (const std::exception &e) { std::cout << e.what(); } std::cout << s << std::endl; return 0; }\n';
export const FS_CXX =
  '#include <filesystem>\n#include <iostream>\n' +
  'int main(int argc, char **argv) { std::cout << std::filesystem::exists(argv[0]) << std::endl; return argc > 3; }\n';
export const LIB_C = 'int kiln_answer(void) { return 42; }\n';

/** The host's own Debian mirror (its apt sources), as kiln image bootstrap takes it. */
function debianMirror(): string {
  const m = hostMirror('debian');
  if (!m) throw new Error("no Debian mirror in this host's apt sources: the sysroot cannot be made");
  return m.mirror;
}

/** A bullseye arm64 sysroot (libc6-dev, libgcc-s1), built once and kept under a stable path keyed by its spec. */
export function bullseyeArm64Sysroot(): string {
  const spec = 'mmdebstrap --variant=extract --architectures=arm64 --include=libc6-dev,libgcc-s1 bullseye';
  const dir = join(tmpdir(), `kiln-abi-sysroot-${createHash('sha256').update(spec).digest('hex').slice(0, 12)}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  run('mmdebstrap', [
    '--quiet',
    '--variant=extract',
    '--architectures=arm64',
    '--include=libc6-dev,libgcc-s1',
    'bullseye',
    work,
    debianMirror(),
  ]);
  writeFileSync(join(work, '.complete'), spec);
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another test run finished first
  }
  return dir;
}

/** Flags that make Debian's cross gcc use the sysroot's start files and libraries instead of its own. */
export function sysrootFlags(sysroot: string, triplet = 'aarch64-linux-gnu'): string[] {
  const lib = join(sysroot, 'usr/lib', triplet);
  return [`--sysroot=${sysroot}`, `-B${lib}`, `-L${lib}`, `-L${join(sysroot, 'lib', triplet)}`];
}

/** Copies `file` to `out` with e_shoff, e_shnum and e_shstrndx zeroed (section headers gone). */
export function stripSectionHeaders(file: string, out: string): string {
  const b = Buffer.from(readFileSync(file));
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const w16 = (off: number) => (le ? b.writeUInt16LE(0, off) : b.writeUInt16BE(0, off));
  if (is64) {
    b.fill(0, 40, 48);
    w16(60);
    w16(62);
  } else {
    b.fill(0, 32, 36);
    w16(48);
    w16(50);
  }
  writeFileSync(out, b, { mode: 0o755 });
  return out;
}
