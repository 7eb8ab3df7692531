// Runs async work over a list with a bounded number in flight, keeping result order. After a failure no new item
// starts, the ones in flight are awaited (nothing keeps writing behind the caller's back), then the first error is
// thrown. `stop` lets a caller end early for its own reason (e.g. another stage already failed).
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  stop: () => boolean = () => false,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (!failed && next < items.length) {
      if (stop()) throw new Error('stopped');
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  });
  const settled = await Promise.allSettled(workers);
  const err = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (err) throw err.reason;
  return out;
}
