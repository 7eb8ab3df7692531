// Auto-cancel of redundant pipelines between kiln runs of one project, modelled on GitLab's: when a run starts for
// a ref while an older run for the same ref is still running, the older one is asked to cancel, and it cancels by
// its own workflow:auto_cancel:on_new_commit (auto-cancel.ts). Every run records itself (run-record.ts), then looks
// for the others: an older live run of its ref gets a cancel request (cancel-requests.ts); a newer one that
// recorded itself first means this run is already redundant. Because each run records itself before looking, of
// two runs starting together at least one sees the other, and the older one is always the one canceled.
import { join } from 'node:path';
import type { OnNewCommit } from '../../pipeline/model.js';
import { CancelRequestWatcher, requestCancel, type CancelRequest } from './cancel-requests.js';
import { decideOnNewCommit } from './auto-cancel.js';
import type { Console } from '../output/console.js';
import { pipelinesRoot } from '../pipelines-dir.js';
import { isLive, ownRecord, readRunRecords, removeRunRecord, writeRunRecord } from './run-record.js';
import type { SchedulerControl } from '../schedule/control.js';

export interface RedundancyOptions {
  kilnDir: string;
  pipelineId: number;
  pipelineDir: string;
  ref: string;
  onNewCommit: OnNewCommit;
  control: SchedulerControl;
  console: Console;
  /** Ask older runs of this ref to cancel (false: `kiln run --no-auto-cancel`). */
  cancelOlder: boolean;
  /** Poll interval of the cancel-request watcher (ms). */
  pollMs?: number;
}

export interface Redundancy {
  /** The newer pipeline that canceled jobs of this one, if any. */
  canceledBy(): number | undefined;
  /** This run can no longer be canceled: forget the record, stop watching. */
  stop(): void;
}

export async function watchRedundancy(o: RedundancyOptions): Promise<Redundancy> {
  await writeRunRecord(o.pipelineDir, ownRecord(o.pipelineId, o.ref, o.onNewCommit, o.cancelOlder));
  const onExit = () => removeRunRecord(o.pipelineDir);
  process.on('exit', onExit);
  let canceledBy: number | undefined;

  const handle = (req: CancelRequest) =>
    o.control.whenActive(() => {
      const d = decideOnNewCommit(o.onNewCommit, o.control.states());
      const who = `pipeline ${req.by} (a newer pipeline for ${req.ref})`;
      if (d.cancel !== 'all' && d.cancel.length === 0) {
        o.console.plain(`kiln: ${who} started; nothing canceled here: ${d.note}`);
        return;
      }
      canceledBy ??= req.by;
      o.console.plain(`kiln: ${who} makes this pipeline redundant: auto-canceling (${d.note})`);
      const reason = `auto-canceled by ${who}`;
      if (d.cancel === 'all') o.control.cancelAll(reason);
      else o.control.cancel(d.cancel, reason);
    });
  const watcher = new CancelRequestWatcher(o.pipelineDir, handle, { pollMs: o.pollMs });
  watcher.start();

  const others = (await readRunRecords(o.kilnDir)).filter(
    (r) => r.pipelineId !== o.pipelineId && r.ref === o.ref && isLive(r),
  );
  for (const r of others) {
    if (r.pipelineId < o.pipelineId && o.cancelOlder) {
      await requestCancel(join(pipelinesRoot(o.kilnDir), String(r.pipelineId)), {
        by: o.pipelineId,
        ref: o.ref,
        pid: process.pid,
        at: new Date().toISOString(),
      }).catch(() => undefined);
      o.console.plain(
        `kiln: pipeline ${r.pipelineId} is still running for ${o.ref}: asked it to auto-cancel ` +
          `(its workflow:auto_cancel:on_new_commit is ${r.onNewCommit})`,
      );
    } else if (r.pipelineId > o.pipelineId && r.cancelsOlder) {
      // A newer run recorded itself before this one did and could not see it: the request comes from here.
      await requestCancel(o.pipelineDir, {
        by: r.pipelineId,
        ref: r.ref,
        pid: r.pid,
        at: new Date().toISOString(),
      }).catch(() => undefined);
    }
  }

  return {
    canceledBy: () => canceledBy,
    stop: () => {
      watcher.stop();
      removeRunRecord(o.pipelineDir);
      process.off('exit', onExit);
    },
  };
}
