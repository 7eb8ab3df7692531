// Cancel requests between kiln processes. A newer run for the same ref writes `cancel-request-<its id>.json` into
// an older run's pipeline directory (atomically, one file per requester, so concurrent requesters never overwrite
// each other). The older run watches its directory and also polls it (file systems without change events) and
// hands each request to its handler once; it decides itself what to cancel, from its own job states.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';

export interface CancelRequest {
  /** Pipeline id of the newer run. */
  by: number;
  ref: string;
  pid: number;
  at: string;
}

const REQUEST_RE = /^cancel-request-(\d+)\.json$/;

export function requestCancel(pipelineDir: string, req: CancelRequest): Promise<void> {
  return writeFileAtomic(join(pipelineDir, `cancel-request-${req.by}.json`), `${JSON.stringify(req)}\n`);
}

export interface WatchOptions {
  /** Polling interval in ms (a fallback to the change events). */
  pollMs?: number;
}

export class CancelRequestWatcher {
  private readonly seen = new Set<number>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private scanning = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly onRequest: (req: CancelRequest) => void,
    private readonly options: WatchOptions = {},
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.dir, (_event, name) => {
        if (name === null || REQUEST_RE.test(String(name))) void this.scan();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      /* no change events here: polling alone */
    }
    this.timer = setInterval(() => void this.scan(), this.options.pollMs ?? 1000);
    this.timer.unref();
    void this.scan();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  /** Reads the directory for requests not handled yet (one scan at a time; a scan asked for meanwhile runs after). */
  async scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return;
    }
    this.scanning = true;
    try {
      do {
        this.again = false;
        let names: string[] = [];
        try {
          names = await readdir(this.dir);
        } catch {
          return;
        }
        for (const name of names.sort()) {
          const m = REQUEST_RE.exec(name);
          if (!m || this.seen.has(Number(m[1]))) continue;
          let req: CancelRequest;
          try {
            req = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as CancelRequest;
          } catch {
            continue;
          }
          this.seen.add(Number(m[1]));
          if (!this.stopped) this.onRequest(req);
        }
      } while (this.again && !this.stopped);
    } finally {
      this.scanning = false;
    }
  }
}
