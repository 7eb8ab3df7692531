// KILN_TRACE=1 prints phase timings of `kiln run` to stderr (for profiling per-job overhead).
const enabled = Boolean(process.env.KILN_TRACE);
const t0 = performance.now();

export function trace(what: string): void {
  if (enabled) process.stderr.write(`kiln-trace ${(performance.now() - t0).toFixed(1).padStart(8)} ms  ${what}\n`);
}
