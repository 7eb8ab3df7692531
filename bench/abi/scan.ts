// Benchmark: kiln's ELF reader over /usr/bin and /usr/lib/x86_64-linux-gnu, side by side in the same run with
// a `readelf -V -d -W` loop over the same ELF files (the reference tool a shell script would use), and with one
// `kiln abi check` process over the same directories. Target: the reader >= 10x faster than the readelf loop.
// Usage: npx tsx bench/abi/scan.ts [--limit N] [--runs N] [DIR...]
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeFile } from '../../src/abi/analyze.js';
import { ElfError } from '../../src/abi/errors.js';
import { walkPaths } from '../../src/abi/walk.js';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const limit = opt('--limit', Infinity);
const runs = opt('--runs', 3);
const dirs = args.filter((a, i) => !a.startsWith('--') && !['--limit', '--runs'].includes(args[i - 1] ?? ''));
const scanDirs = dirs.length ? dirs : ['/usr/bin', '/usr/lib/x86_64-linux-gnu'];

const walked = walkPaths(scanDirs);
const all = walked.files.slice(0, limit);
const totalBytes = all.reduce((n, f) => n + statSync(f).size, 0);

// kiln reader, in process: every file (non-ELF ones are dismissed after 4 bytes).
function kilnPass(): { ms: number; elf: string[]; errors: number } {
  const elf: string[] = [];
  let errors = 0;
  const t0 = performance.now();
  for (const f of all) {
    try {
      if (analyzeFile(f)) elf.push(f);
    } catch (err) {
      if (!(err instanceof ElfError)) throw err;
      errors++;
    }
  }
  return { ms: performance.now() - t0, elf, errors };
}

let best = kilnPass();
for (let i = 1; i < runs; i++) {
  const r = kilnPass();
  if (r.ms < best.ms) best = r;
}
const elfFiles = best.elf;
const elfBytes = elfFiles.reduce((n, f) => n + statSync(f).size, 0);

// readelf loop over the ELF files only (it would just print an error for the others).
const t1 = performance.now();
for (const f of elfFiles) spawnSync('readelf', ['-V', '-d', '-W', f], { stdio: 'ignore' });
const readelfMs = performance.now() - t1;

// One kiln CLI process over the same directories (startup included).
const t2 = performance.now();
const cli = spawnSync(
  process.execPath,
  [join(root, 'bin', 'kiln.js'), 'abi', 'check', ...scanDirs, '-t', 'debian-12', '--json'],
  {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env },
  },
);
const cliMs = performance.now() - t2;
const cliOk = cli.status === 0 || cli.status === 1;

const mb = (b: number) => b / (1024 * 1024);
const rate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(0);
const row = (name: string, files: number, bytes: number, ms: number) =>
  `${name.padEnd(34)} ${String(files).padStart(6)} files  ${mb(bytes).toFixed(1).padStart(8)} MB  ${ms.toFixed(0).padStart(7)} ms  ` +
  `${rate(files, ms).padStart(7)} files/s  ${(mb(bytes) / (ms / 1000)).toFixed(0).padStart(7)} MB/s`;

console.log(`scanned: ${scanDirs.join(', ')}  (${all.length} files, ${elfFiles.length} ELF, ${best.errors} malformed)`);
console.log(row('kiln reader, all files (best of ' + runs + ')', all.length, totalBytes, best.ms));
const elfOnlyMs = best.ms * (elfFiles.length / Math.max(1, all.length));
console.log(row('readelf -V -d -W loop, ELF files', elfFiles.length, elfBytes, readelfMs));
if (cliOk) console.log(row('kiln abi check (one process)', all.length, totalBytes, cliMs));
else console.log(`kiln abi check failed: ${cli.stderr.slice(0, 300)}`);
console.log(
  `ratio readelf loop / kiln reader: ${(readelfMs / best.ms).toFixed(1)}x (target >= 10x)` +
    (cliOk ? `; readelf loop / kiln CLI: ${(readelfMs / cliMs).toFixed(1)}x` : ''),
);
console.log(
  `(kiln's time covers all ${all.length} files including non-ELF ones; ~${elfOnlyMs.toFixed(0)} ms pro rata for the ELF files. ` +
    'MB/s counts whole file sizes; both tools read only the headers and tables they need.)',
);
