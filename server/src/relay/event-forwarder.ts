import type { Context } from '@ringflag/sdk-node/engine';
import type { BrowserContextGuards } from '../features/client/client.routes.js';
import {
  RELAY_BATCH_LIMITS,
  type RelayEventsAccepted,
  type RelayEventsBatch,
} from '../features/relay/relay-wire.js';
import type { AcceptedEvents, EventIngest, EventReport } from '../features/sdk/event-ingest.js';
import type { Logger } from '../logger.js';

type Report = RelayEventsBatch['reports'][number];
type ContextEntry = RelayEventsBatch['contexts'][number];

/** What an upstream answered to a batch. */
export type SendOutcome = 'sent' | 'retry' | 'rejected';

/** Options of {@link EventForwarder}. */
export interface EventForwarderOptions {
  /** Sends one batch of an environment upstream (`POST /relay/v1/events`). Never rejects. */
  send(environmentId: number, batch: RelayEventsBatch): Promise<SendOutcome>;
  logger: Logger;
  /** How often pending events go upstream (ms, default 1,000). */
  flushMs?: number;
  /** Reports and contexts kept per environment while the upstream is away; the oldest go first (default 20,000). */
  maxPending?: number;
}

/** What one environment has waiting to go upstream. */
interface Pending {
  reports: Report[];
  contexts: ContextEntry[];
  /** Contexts already waiting, by address and context hash: one browser context counts once per flush. */
  seen: Set<string>;
}

/** Counters of {@link EventForwarder}, for `/metrics`. */
export interface ForwarderStats {
  pending: number;
  forwarded: number;
  dropped: number;
}

/**
 * Takes what SDKs report to a relay — server SDKs' and browsers' events bodies, and the browser
 * contexts the relay evaluated — and forwards it upstream in batches, once a second, so release guards
 * count exposures and errors through relays as if the SDKs talked to the server. Nothing is judged
 * here: the server (or the relay above) sanitises browser reports and bounds contexts per address
 * exactly as on its own surfaces; this only keeps what waits bounded. While the upstream is away
 * everything waits, up to `maxPending` entries per environment (then the oldest are dropped and
 * counted); a batch the upstream refuses as invalid is dropped rather than retried forever.
 *
 * @example
 * const forwarder = new EventForwarder({ send, logger });
 * await forwarder.ingest({ source: 'server', environmentId: 2, body });
 */
export class EventForwarder implements Pick<EventIngest, 'ingest'>, BrowserContextGuards {
  private readonly pending = new Map<number, Pending>();
  private readonly maxPending: number;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  private forwarded = 0;
  private dropped = 0;

  constructor(private readonly options: EventForwarderOptions) {
    this.maxPending = options.maxPending ?? 20_000;
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 1000);
    this.timer.unref();
  }

  /** An SDK's events body (the routes validated it); answers what it holds, as the server would count it. */
  async ingest(report: EventReport): Promise<AcceptedEvents> {
    const body = report.body;
    this.push(
      report.environmentId,
      report.source === 'server'
        ? { source: 'server', body }
        : { source: 'browser', address: report.address, body },
    );
    return { exposures: body.exposures.length, events: body.events.length };
  }

  /** A browser context the relay evaluated: counted upstream once per flush per address. */
  exposeBrowserContext(environmentId: number, address: string, context: Context, hash: string): void {
    const pending = this.of(environmentId);
    const id = `${address}\u0000${hash}`;
    if (pending.seen.has(id)) return;
    pending.seen.add(id);
    // A context the routes validated; attributes left undefined are not sent.
    pending.contexts.push({ address, context: context as ContextEntry['context'] });
    this.bound(pending);
  }

  /** A batch a relay below reported (`POST /relay/v1/events` on this relay): passed on as it is. */
  relayed(environmentId: number, batch: RelayEventsBatch): RelayEventsAccepted {
    for (const report of batch.reports) this.push(environmentId, report);
    const pending = this.of(environmentId);
    for (const entry of batch.contexts) pending.contexts.push(entry);
    this.bound(pending);
    let exposures = 0;
    let events = 0;
    for (const report of batch.reports) {
      exposures += report.body.exposures.length;
      events += report.body.events.length;
    }
    return { exposures, events, contexts: batch.contexts.length };
  }

  stats(): ForwarderStats {
    let pending = 0;
    for (const entry of this.pending.values()) pending += entry.reports.length + entry.contexts.length;
    return { pending, forwarded: this.forwarded, dropped: this.dropped };
  }

  /** Sends what waits, one batch at a time per environment; resolves when this pass is over. */
  flush(): Promise<void> {
    this.flushing ??= this.sendAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and makes a last attempt to send what waits. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  private push(environmentId: number, report: Report): void {
    const pending = this.of(environmentId);
    pending.reports.push(report);
    this.bound(pending);
  }

  private of(environmentId: number): Pending {
    let pending = this.pending.get(environmentId);
    if (!pending) {
      pending = { reports: [], contexts: [], seen: new Set() };
      this.pending.set(environmentId, pending);
    }
    return pending;
  }

  /**
   * Drops entries beyond the bound: browser contexts first, oldest first (a browser's next evaluation
   * reports its context again), then the oldest reports.
   */
  private bound(pending: Pending): void {
    const over = pending.reports.length + pending.contexts.length - this.maxPending;
    if (over <= 0) return;
    const fromContexts = Math.min(over, pending.contexts.length);
    pending.contexts.splice(0, fromContexts);
    pending.reports.splice(0, over - fromContexts);
    if (pending.seen.size > 2 * this.maxPending) pending.seen.clear();
    if (this.dropped === 0) {
      this.options.logger.warn('the upstream does not take events: dropping the oldest', {
        maxPending: this.maxPending,
      });
    }
    this.dropped += over;
  }

  private async sendAll(): Promise<void> {
    for (const [environmentId, pending] of this.pending) {
      while (pending.reports.length > 0 || pending.contexts.length > 0) {
        const batch = nextBatch(pending);
        const outcome = await this.options.send(environmentId, batch);
        if (outcome === 'retry') break;
        // Sent, or refused as invalid (retrying would fail the same way): either way it leaves.
        pending.reports.splice(0, batch.reports.length);
        pending.contexts.splice(0, batch.contexts.length);
        const size = batch.reports.length + batch.contexts.length;
        if (outcome === 'sent') this.forwarded += size;
        else this.dropped += size;
      }
      if (pending.contexts.length === 0) pending.seen.clear();
    }
  }
}

/** A batch's JSON stays this far under the upstream's body limit. */
const BATCH_BYTES = RELAY_BATCH_LIMITS.bodyBytes - 256 * 1024;

/** The oldest entries that fit in one batch: within the upstream's counts and bytes. */
function nextBatch(pending: Pending): RelayEventsBatch {
  let bytes = 0;
  const fits = (entry: unknown) => {
    // Every entry goes, however large: a single SDK body is far under the limit.
    const size = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (bytes > 0 && bytes + size > BATCH_BYTES) return false;
    bytes += size;
    return true;
  };
  const reports: Report[] = [];
  for (const report of pending.reports) {
    if (reports.length === RELAY_BATCH_LIMITS.reports || !fits(report)) break;
    reports.push(report);
  }
  const contexts: ContextEntry[] = [];
  for (const entry of pending.contexts) {
    if (contexts.length === RELAY_BATCH_LIMITS.contexts || !fits(entry)) break;
    contexts.push(entry);
  }
  return { reports, contexts };
}
