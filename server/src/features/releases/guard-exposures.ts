import type { Database } from '../../db/client.js';
import { addGuardExposureCounts, type GuardExposureCount } from './releases.store.js';

/** A pending exposure count, with its environment. */
export interface PendingExposure extends GuardExposureCount {
  environmentId: number;
}

/**
 * The exposures a replica's guards have counted but not yet written: browser exposures arrive one
 * context at a time, so they are summed in memory and written together. Each replica has its own;
 * what it holds is written by {@link GuardExposureBuffer.flush}, which guards call before they read
 * their figures, and which the intake calls within a second of the first pending exposure.
 *
 * @example
 * buffer.add(env.id, { flagKey: 'new-checkout', variant: 'on', minute, count: 1 });
 * await buffer.flush();
 */
export class GuardExposureBuffer {
  private pending = new Map<string, PendingExposure>();
  /** The flush in progress: flushes write one after the other. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly database: Pick<Database, 'transaction'>) {}

  /** Counts exposures, to be written by the next flush. */
  add(environmentId: number, count: GuardExposureCount): void {
    const id = `${environmentId}\u0000${count.flagKey}\u0000${count.variant}\u0000${count.minute}`;
    const pending = this.pending.get(id);
    if (pending) pending.count += count.count;
    else this.pending.set(id, { environmentId, ...count });
  }

  /** Whether exposures wait to be written. */
  get size(): number {
    return this.pending.size;
  }

  /** The exposures waiting to be written (the flags a flush will touch). */
  peek(): Iterable<PendingExposure> {
    return this.pending.values();
  }

  /**
   * Writes every exposure added before the call, in one transaction, after any flush in progress:
   * once it resolves, a guard reading its figures sees them. Exposures whose write failed are lost
   * (the error is the caller's to report); counting never retries.
   */
  flush(): Promise<void> {
    const taken = this.pending;
    this.pending = new Map();
    const byEnvironment = new Map<number, GuardExposureCount[]>();
    for (const { environmentId, ...count } of taken.values()) {
      const list = byEnvironment.get(environmentId) ?? [];
      list.push(count);
      byEnvironment.set(environmentId, list);
    }
    const write = async () => {
      if (byEnvironment.size === 0) return;
      await this.database.transaction(async (tx) => {
        for (const [environmentId, counts] of byEnvironment) {
          await addGuardExposureCounts(tx, environmentId, counts);
        }
      });
    };
    const done = this.writing.then(write);
    this.writing = done.catch(() => {});
    return done;
  }
}
