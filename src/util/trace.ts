// KILN_TRACE=1 prints phase timings of `kiln run` to stderr (for profiling per-job overhead).
const enabled = Boolean(process.env.KILN_TRACE);
const t0 = performance.now();

export function trace(what: string): void {
  if (!enabled) return;
  const m = process.memoryUsage();
  const mb = (n: number) => (n / 1048576).toFixed(1);
  process.stderr.write(
    `kiln-trace ${(performance.now() - t0).toFixed(1).padStart(8)} ms  rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} ext ${mb(m.external)} MB  ${what}\n`,
  );
}
