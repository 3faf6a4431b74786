import type { EnvironmentRef } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { HEARTBEAT, sseFrame } from './sse-frame.js';

/** A stream `patch` (DESIGN §7): changed flags and segments of one environment; `null` = removed. */
export interface SdkPatch {
  revision: number;
  flags: Record<string, unknown>;
  segments: Record<string, unknown>;
}

/** The part of a Node `ServerResponse` a stream needs (so tests can pass a fake). */
export interface StreamSink {
  write(chunk: Buffer): boolean;
  readonly writableLength: number;
  readonly destroyed: boolean;
  destroy(): void;
}

/** One open SDK stream. */
export interface StreamConnection {
  readonly environment: EnvironmentRef;
  readonly keyId: number;
  readonly sink: StreamSink;
}

interface Channel {
  readonly connections: Set<StreamConnection>;
  /** Recent patch frames, oldest first, for `Last-Event-ID` catch-up; `order` is the hub-wide publish order. */
  readonly recent: { revision: number; frame: Buffer; order: number }[];
  /** Bytes of the frames in `recent`. */
  historyBytes: number;
  /** The newest revision published here (kept when its frame is not, or no longer, in `recent`). */
  published: number | undefined;
}

/** Options of {@link ChangeHub}. */
export interface ChangeHubOptions {
  logger: Logger;
  /** Patches kept per environment for reconnects; older reconnects get a fresh `put`. */
  historySize?: number;
  /** Bytes of patch frames kept per environment (default 16 MiB); the oldest go first. */
  historyBytesPerEnvironment?: number;
  /** Bytes of patch frames kept over all environments (default 64 MiB); the oldest go first. */
  historyBytesTotal?: number;
  /** A stream whose unsent output passes this many bytes is closed (it reconnects and catches up). */
  maxBufferedBytes?: number;
  heartbeatMs?: number;
  /** Heartbeats are spread over this many slots of the interval instead of one sweep. */
  heartbeatSlots?: number;
}

/**
 * Publishes committed changes to the SDK streams of each environment. Every event is serialised once
 * and the same Buffer is written to every connection's Node response; heartbeats go to one slot of
 * connections per tick, so no tick touches every stream.
 *
 * @example
 * const hub = new ChangeHub({ logger });
 * hub.publish('production', { revision: 8, flags: { 'new-checkout': config }, segments: {} });
 */
export class ChangeHub {
  private readonly channels = new Map<EnvironmentRef, Channel>();
  private readonly slots: Set<StreamConnection>[];
  private readonly slotOf = new Map<StreamConnection, number>();
  private nextSlot = 0;
  private tick = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly historySize: number;
  private readonly historyBytesPerEnvironment: number;
  private readonly historyBytesTotal: number;
  private historyBytesKept = 0;
  private published = 0;
  private readonly maxBufferedBytes: number;
  private readonly heartbeatMs: number;
  private readonly logger: Logger;
  private total = 0;
  private readonly publishListeners = new Set<(environment: EnvironmentRef, patch: SdkPatch) => void>();

  constructor(options: ChangeHubOptions) {
    this.logger = options.logger;
    this.historySize = options.historySize ?? 1000;
    this.historyBytesPerEnvironment = options.historyBytesPerEnvironment ?? 16 * 1024 * 1024;
    this.historyBytesTotal = options.historyBytesTotal ?? 64 * 1024 * 1024;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.slots = Array.from({ length: options.heartbeatSlots ?? 60 }, () => new Set());
  }

  /** Open streams, in total or per environment. */
  connectionCount(environment?: EnvironmentRef): number {
    if (environment === undefined) return this.total;
    return this.channels.get(environment)?.connections.size ?? 0;
  }

  /** Environments with open streams or history. */
  environments(): EnvironmentRef[] {
    return [...this.channels.keys()];
  }

  /** Bytes of patch frames kept for catch-up, in total or per environment. */
  historyBytes(environment?: EnvironmentRef): number {
    if (environment === undefined) return this.historyBytesKept;
    return this.channels.get(environment)?.historyBytes ?? 0;
  }

  /** Sends a committed patch to every stream of its environment and keeps it for catch-up. */
  publish(environment: EnvironmentRef, patch: SdkPatch): void {
    const channel = this.channel(environment);
    const frame = Buffer.from(sseFrame('patch', patch.revision, JSON.stringify(patch)));
    this.remember(channel, patch.revision, frame);
    channel.published = Math.max(channel.published ?? patch.revision, patch.revision);
    for (const connection of channel.connections) this.send(connection, frame);
    for (const listener of this.publishListeners) {
      try {
        listener(environment, patch);
      } catch (error) {
        this.logger.error('a publish listener failed', { environment, error: String(error) });
      }
    }
  }

  /**
   * Calls `listener` after every published patch (the browser streams re-evaluate their contexts
   * then). Returns a function that removes it.
   */
  onPublish(listener: (environment: EnvironmentRef, patch: SdkPatch) => void): () => void {
    this.publishListeners.add(listener);
    return () => this.publishListeners.delete(listener);
  }

  /**
   * The patch frames after `lastRevision` up to `currentRevision`, or `null` when some are no longer
   * (or never were) in memory and the stream needs a fresh `put`.
   */
  missedSince(environment: EnvironmentRef, lastRevision: number, currentRevision: number): Buffer[] | null {
    if (lastRevision === currentRevision) return [];
    if (lastRevision > currentRevision) return null;
    const recent = this.channels.get(environment)?.recent ?? [];
    const missed = recent.filter(
      (entry) => entry.revision > lastRevision && entry.revision <= currentRevision,
    );
    if (missed.length !== currentRevision - lastRevision) return null;
    return missed.map((entry) => entry.frame);
  }

  /** The newest revision published for an environment, or undefined when none was. */
  publishedRevision(environment: EnvironmentRef): number | undefined {
    return this.channels.get(environment)?.published;
  }

  /** Starts delivering patches and heartbeats to a connection (its initial events are already written). */
  subscribe(connection: StreamConnection): void {
    this.channel(connection.environment).connections.add(connection);
    const slot = this.nextSlot;
    this.nextSlot = (this.nextSlot + 1) % this.slots.length;
    this.slots[slot]!.add(connection);
    this.slotOf.set(connection, slot);
    this.total++;
    this.startTimer();
  }

  unsubscribe(connection: StreamConnection): void {
    const channel = this.channels.get(connection.environment);
    if (!channel?.connections.delete(connection)) return;
    const slot = this.slotOf.get(connection);
    if (slot !== undefined) this.slots[slot]!.delete(connection);
    this.slotOf.delete(connection);
    this.total--;
    if (this.total === 0) this.stopTimer();
  }

  /** Closes every stream opened with a key (when the key is revoked). */
  disconnectKey(keyId: number): void {
    for (const channel of this.channels.values()) {
      for (const connection of channel.connections) {
        if (connection.keyId === keyId) {
          this.unsubscribe(connection);
          connection.sink.destroy();
        }
      }
    }
  }

  /**
   * Closes every stream of an environment and forgets its history: used when this replica can no
   * longer replay what it missed, so its streams reconnect and get a fresh `put`.
   */
  disconnectEnvironment(environment: EnvironmentRef): void {
    const channel = this.channels.get(environment);
    if (!channel) return;
    for (const connection of [...channel.connections]) {
      this.unsubscribe(connection);
      connection.sink.destroy();
    }
    while (channel.recent.length > 0) this.forgetOldest(channel);
  }

  /** Ends every stream and stops the heartbeat timer. */
  close(): void {
    for (const channel of this.channels.values()) {
      for (const connection of channel.connections) connection.sink.destroy();
      channel.connections.clear();
    }
    for (const slot of this.slots) slot.clear();
    this.slotOf.clear();
    this.total = 0;
    this.stopTimer();
  }

  /**
   * Keeps a frame for catch-up within the count and byte bounds, dropping the oldest frames (of this
   * environment, then of any) to make room. A frame larger than a bound is not kept: a reconnect that
   * needs it gets a fresh `put`, as for any frame no longer in memory.
   */
  private remember(channel: Channel, revision: number, frame: Buffer): void {
    channel.recent.push({ revision, frame, order: this.published++ });
    channel.historyBytes += frame.length;
    this.historyBytesKept += frame.length;
    while (
      channel.recent.length > this.historySize ||
      (channel.historyBytes > this.historyBytesPerEnvironment && channel.recent.length > 0)
    ) {
      this.forgetOldest(channel);
    }
    while (this.historyBytesKept > this.historyBytesTotal) {
      let oldest: Channel | undefined;
      for (const candidate of this.channels.values()) {
        const first = candidate.recent[0];
        if (first && (!oldest || first.order < oldest.recent[0]!.order)) oldest = candidate;
      }
      if (!oldest) break;
      this.forgetOldest(oldest);
    }
  }

  private forgetOldest(channel: Channel): void {
    const dropped = channel.recent.shift();
    if (!dropped) return;
    channel.historyBytes -= dropped.frame.length;
    this.historyBytesKept -= dropped.frame.length;
  }

  private channel(environment: EnvironmentRef): Channel {
    let channel = this.channels.get(environment);
    if (!channel) {
      channel = { connections: new Set(), recent: [], historyBytes: 0, published: undefined };
      this.channels.set(environment, channel);
    }
    return channel;
  }

  private send(connection: StreamConnection, frame: Buffer): void {
    const sink = connection.sink;
    if (sink.destroyed) {
      this.unsubscribe(connection);
      return;
    }
    try {
      sink.write(frame);
      if (sink.writableLength > this.maxBufferedBytes) {
        this.logger.warn('closing a stream that does not keep up', { environment: connection.environment });
        this.unsubscribe(connection);
        sink.destroy();
      }
    } catch (error) {
      this.logger.warn('stream write failed', { error: String(error) });
      this.unsubscribe(connection);
      sink.destroy();
    }
  }

  private startTimer(): void {
    if (this.timer) return;
    const interval = Math.max(1, Math.floor(this.heartbeatMs / this.slots.length));
    this.timer = setInterval(() => this.heartbeat(), interval);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private heartbeat(): void {
    const slot = this.slots[this.tick]!;
    this.tick = (this.tick + 1) % this.slots.length;
    for (const connection of slot) this.send(connection, HEARTBEAT);
  }
}
