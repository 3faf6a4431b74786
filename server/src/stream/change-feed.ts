import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type Database, execute, type Queryable } from '../db/client.js';
import type { EnvironmentRef } from '../db/schema.js';
import { rootMessage } from '../db/unavailable.js';
import {
  type ChangeLogRow,
  changesSince,
  currentRevisions,
} from '../features/environments/environments.store.js';
import type { Logger } from '../logger.js';
import type { ClusterSignal } from '../write/cluster-signal.js';
import type { CommittedChanges } from '../write/unit-of-work.js';
import type { ChangeHub, SdkPatch } from './change-hub.js';
import { sseFrame } from './sse-frame.js';

/** The PostgreSQL channel replicas announce commits on. */
export const CHANGES_CHANNEL = 'ringflag_changes';

/** Patches the log serves to one reconnect at most; further behind, the stream gets a fresh `put`. */
const MAX_CATCH_UP = 1000;

/**
 * One notification: an environment's new revision, or a signal, and the replica that wrote it (`o`).
 * Small: NOTIFY carries at most 8,000 bytes.
 */
type Announcement = ({ e: EnvironmentRef; r: number } | { s: ClusterSignal }) & { o: string };

/** Options of {@link ChangeFeed}. */
export interface ChangeFeedOptions {
  database: Database;
  hub: ChangeHub;
  logger: Logger;
  /** Called on every replica, the writer's included, for every committed signal. */
  onSignal?: (signal: ClusterSignal) => void;
  /** How often the log is read even without notifications (default 2,000 ms). */
  pollMs?: number;
}

/**
 * Feeds this replica's streams from the durable change log, in revision order per environment.
 *
 * A write appends its patches to the log in its transaction and announces them (PostgreSQL `NOTIFY`,
 * delivered on commit, environment and revision only). After the commit the writer offers its patches
 * here directly; other replicas hear the announcement and read the rows from the log. A slow poll of
 * the environments' revisions covers a lost notification or a lost `LISTEN` connection, and any
 * replica answers `Last-Event-ID` from the log.
 *
 * @example
 * const feed = new ChangeFeed({ database, hub, logger });
 * await feed.start();
 */
export class ChangeFeed implements CommittedChanges {
  /** The newest revision published to the hub, per environment. */
  private readonly published = new Map<EnvironmentRef, number>();
  /** The newest revision known to exist, per environment (from notifications and polls). */
  private readonly seen = new Map<EnvironmentRef, number>();
  private readonly catching = new Map<EnvironmentRef, Promise<void>>();
  private readonly database: Database;
  private readonly hub: ChangeHub;
  private readonly logger: Logger;
  private readonly onSignal: (signal: ClusterSignal) => void;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Tells this replica's own announcements from the others'. */
  private readonly replica = randomUUID();
  private listening = false;
  private lastPollOk = false;

  constructor(options: ChangeFeedOptions) {
    this.database = options.database;
    this.hub = options.hub;
    this.logger = options.logger;
    this.onSignal = options.onSignal ?? (() => {});
    this.pollMs = options.pollMs ?? 2_000;
  }

  /** Starts at the current revisions, listens (PostgreSQL) and polls. */
  async start(): Promise<void> {
    for (const { ref, revision } of await currentRevisions(this.database)) {
      this.published.set(ref, revision);
      this.seen.set(ref, revision);
    }
    this.lastPollOk = true;
    if (this.database.dialect === 'postgres') await this.listen();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconnect) clearTimeout(this.reconnect);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await Promise.allSettled([...this.catching.values()]);
  }

  /** Revisions committed but not yet published here, summed over environments (the replica's lag). */
  lag(): number {
    let lag = 0;
    for (const [environment, revision] of this.seen) {
      lag += Math.max(0, revision - (this.published.get(environment) ?? 0));
    }
    return lag;
  }

  /** Whether this replica hears announcements now (always true on SQLite, where there is one process). */
  connected(): boolean {
    return this.database.dialect !== 'postgres' || (this.listening && this.lastPollOk);
  }

  /** The newest revision published here, per environment. */
  revisions(): { environment: EnvironmentRef; revision: number }[] {
    return [...this.published].map(([environment, revision]) => ({ environment, revision }));
  }

  async announce(
    tx: Queryable,
    revisions: { environment: EnvironmentRef; revision: number }[],
    signals: ClusterSignal[],
  ): Promise<void> {
    if (tx.dialect !== 'postgres') return;
    const o = this.replica;
    const announcements: Announcement[] = [
      ...revisions.map(({ environment, revision }) => ({ e: environment, r: revision, o })),
      ...signals.map((signal) => ({ s: signal, o })),
    ];
    for (const announcement of announcements) {
      await execute(tx, sql`select pg_notify(${CHANGES_CHANNEL}, ${JSON.stringify(announcement)})`);
    }
  }

  committed(patches: { environment: EnvironmentRef; patch: SdkPatch }[], signals: ClusterSignal[]): void {
    for (const { environment, patch } of patches) this.offer(environment, patch);
    for (const signal of signals) this.signal(signal);
  }

  /**
   * The patch frames after `lastRevision` up to `currentRevision`: from memory when the hub still
   * has them, else from the change log; `null` when they are gone (the stream needs a fresh `put`).
   */
  async missedSince(
    environment: EnvironmentRef,
    lastRevision: number,
    currentRevision: number,
  ): Promise<Buffer[] | null> {
    const inMemory = this.hub.missedSince(environment, lastRevision, currentRevision);
    if (inMemory) return inMemory;
    const wanted = currentRevision - lastRevision;
    if (wanted <= 0 || wanted > MAX_CATCH_UP) return null;
    const rows = await changesSince(this.database, environment, lastRevision, currentRevision, wanted);
    if (rows.length !== wanted) return null;
    return rows.map((row) => Buffer.from(sseFrame('patch', row.revision, JSON.stringify(patchOf(row)))));
  }

  /** Reads every environment's revision and catches up where the log is ahead. */
  async poll(): Promise<void> {
    try {
      const revisions = await currentRevisions(this.database);
      this.lastPollOk = true;
      await Promise.all(revisions.map(({ ref, revision }) => this.heard(ref, revision)));
    } catch (error) {
      if (this.lastPollOk) this.logger.warn('reading the change log failed', { error: rootMessage(error) });
      this.lastPollOk = false;
    }
  }

  private offer(environment: EnvironmentRef, patch: SdkPatch): void {
    this.note(environment, patch.revision);
    const last = this.published.get(environment);
    if (last === undefined || patch.revision === last + 1) {
      if (this.catching.has(environment)) {
        void this.catchUp(environment);
        return;
      }
      this.publish(environment, patch);
    } else if (patch.revision > last + 1) {
      void this.catchUp(environment);
    }
  }

  private async heard(environment: EnvironmentRef, revision: number): Promise<void> {
    this.note(environment, revision);
    if (revision > (this.published.get(environment) ?? 0)) await this.catchUp(environment);
  }

  private note(environment: EnvironmentRef, revision: number): void {
    if (revision > (this.seen.get(environment) ?? 0)) this.seen.set(environment, revision);
  }

  private publish(environment: EnvironmentRef, patch: SdkPatch): void {
    this.published.set(environment, patch.revision);
    this.hub.publish(environment, patch);
  }

  /** Publishes the logged revisions after the last published one, in order; one pass per environment at a time. */
  private catchUp(environment: EnvironmentRef): Promise<void> {
    const running = this.catching.get(environment);
    if (running) return running.then(() => this.catchUpAgainIfBehind(environment));
    const pass = this.readLog(environment).finally(() => this.catching.delete(environment));
    this.catching.set(environment, pass);
    return pass;
  }

  private async catchUpAgainIfBehind(environment: EnvironmentRef): Promise<void> {
    if ((this.seen.get(environment) ?? 0) > (this.published.get(environment) ?? 0))
      await this.catchUp(environment);
  }

  private async readLog(environment: EnvironmentRef): Promise<void> {
    for (;;) {
      const last = this.published.get(environment) ?? 0;
      let rows: ChangeLogRow[];
      try {
        rows = await changesSince(this.database, environment, last, Number.MAX_SAFE_INTEGER, 500);
      } catch (error) {
        this.logger.warn('reading the change log failed', { environment, error: rootMessage(error) });
        return;
      }
      if (rows.length === 0) return;
      if (rows[0]!.revision !== last + 1) {
        // The log no longer holds what this replica missed: its streams reconnect and get a fresh put.
        this.logger.warn('change log pruned past this replica; streams of the environment restart', {
          environment,
          published: last,
          oldest: rows[0]!.revision,
        });
        this.published.set(environment, rows.at(-1)!.revision);
        this.hub.disconnectEnvironment(environment);
        continue;
      }
      for (const row of rows) this.publish(environment, patchOf(row));
      if (rows.length < 500) return;
    }
  }

  private signal(signal: ClusterSignal): void {
    try {
      if (signal.type === 'sdk-key-revoked') this.hub.disconnectKey(signal.keyId);
      this.onSignal(signal);
    } catch (error) {
      this.logger.error('handling a cluster signal failed', { signal: signal.type, error: String(error) });
    }
  }

  private async listen(): Promise<void> {
    const config = this.database.pgConfig;
    if (!config || this.stopped) return;
    const client = new pg.Client(config);
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.listening = false;
      if (this.stopped) return;
      this.logger.warn('lost the change notifications; reconnecting', { error: String(error ?? 'ended') });
      client.end().catch(() => {});
      this.scheduleListen();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => this.notified(message.payload));
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      this.listening = true;
      // Whatever was announced while nobody listened: caches may be stale, revisions may be behind.
      this.onSignal({ type: 'sdk-keys-changed' });
      this.onSignal({ type: 'environments-changed' });
      await this.poll();
    } catch (error) {
      lost(error as Error);
    }
  }

  private scheduleListen(): void {
    if (this.reconnect || this.stopped) return;
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      void this.listen();
    }, 1_000);
    this.reconnect.unref();
  }

  private notified(payload: string | undefined): void {
    let announcement: Announcement;
    try {
      announcement = JSON.parse(payload ?? '') as Announcement;
    } catch {
      return;
    }
    // This replica's own writes were published and signalled after their commit already.
    if (announcement.o === this.replica) return;
    if ('s' in announcement) this.signal(announcement.s);
    else if (typeof announcement.e === 'string' && Number.isInteger(announcement.r)) {
      void this.heard(announcement.e, announcement.r);
    }
  }
}

function patchOf(row: ChangeLogRow): SdkPatch {
  return { revision: row.revision, flags: row.patch.flags, segments: row.patch.segments };
}
