// Synchronous file work in short slices. Saving and restoring thousands of small files is several times faster
// with synchronous calls than through the thread pool, but a long synchronous loop would stall the console and
// timers of other running jobs; `tick()` hands the event loop back every few milliseconds.

const SLICE_MS = 8;

export class Slicer {
  private started = performance.now();

  async tick(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}
