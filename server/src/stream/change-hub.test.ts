import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PROJECT, environmentRef } from '../features/projects/project-scope.js';
import { createLogger } from '../logger.js';
import { ChangeHub, type StreamSink } from './change-hub.js';

class FakeSink implements StreamSink {
  chunks: Buffer[] = [];
  destroyed = false;
  writableLength = 0;
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

const logger = createLogger('silent');

/** The ref of an environment of the default project. */
const ref = (key: string) => environmentRef(DEFAULT_PROJECT.key, key);

describe('ChangeHub', () => {
  afterEach(() => vi.useRealTimers());

  it('serialises a patch once and writes the same bytes to every stream of its environment', () => {
    const hub = new ChangeHub({ logger });
    const sinks = [new FakeSink(), new FakeSink(), new FakeSink()];
    hub.subscribe({ environment: ref('production'), keyId: 1, sink: sinks[0]! });
    hub.subscribe({ environment: ref('production'), keyId: 1, sink: sinks[1]! });
    hub.subscribe({ environment: ref('staging'), keyId: 2, sink: sinks[2]! });
    hub.publish(ref('production'), { revision: 8, flags: { f: null }, segments: {} });
    expect(sinks[0]!.chunks[0]).toBe(sinks[1]!.chunks[0]);
    expect(sinks[0]!.text()).toBe(
      'event: patch\nid: 8\ndata: {"revision":8,"flags":{"f":null},"segments":{}}\n\n',
    );
    expect(sinks[2]!.chunks).toHaveLength(0);
    expect(hub.connectionCount()).toBe(3);
    expect(hub.connectionCount(ref('production'))).toBe(2);
    hub.close();
    expect(sinks.every((sink) => sink.destroyed)).toBe(true);
  });

  it('hands back missed patches, or null when they are not all in memory', () => {
    const hub = new ChangeHub({ logger, historySize: 3 });
    for (let revision = 1; revision <= 5; revision++)
      hub.publish(ref('p'), { revision, flags: {}, segments: {} });
    expect(hub.missedSince(ref('p'), 5, 5)).toEqual([]);
    expect(hub.missedSince(ref('p'), 3, 5)?.map((frame) => frame.toString().split('\n')[1])).toEqual([
      'id: 4',
      'id: 5',
    ]);
    expect(hub.missedSince(ref('p'), 1, 5)).toBeNull();
    expect(hub.missedSince(ref('p'), 9, 5)).toBeNull();
    expect(hub.missedSince(ref('other'), 1, 2)).toBeNull();
  });

  it('spreads heartbeats over slots instead of one sweep', () => {
    vi.useFakeTimers();
    const hub = new ChangeHub({ logger, heartbeatMs: 4000, heartbeatSlots: 4 });
    const sinks = Array.from({ length: 8 }, () => new FakeSink());
    for (const sink of sinks) hub.subscribe({ environment: ref('p'), keyId: 1, sink });
    vi.advanceTimersByTime(1000);
    expect(sinks.filter((sink) => sink.chunks.length > 0)).toHaveLength(2);
    vi.advanceTimersByTime(3000);
    expect(sinks.every((sink) => sink.text() === ': heartbeat\n\n')).toBe(true);
    hub.close();
  });

  it('closes streams of a revoked key and drops streams that do not keep up', () => {
    const hub = new ChangeHub({ logger, maxBufferedBytes: 10 });
    const revoked = new FakeSink();
    const slow = new FakeSink();
    slow.writableLength = 100;
    hub.subscribe({ environment: ref('p'), keyId: 1, sink: revoked });
    hub.subscribe({ environment: ref('p'), keyId: 2, sink: slow });
    hub.disconnectKey(1);
    expect(revoked.destroyed).toBe(true);
    hub.publish(ref('p'), { revision: 1, flags: {}, segments: {} });
    expect(slow.destroyed).toBe(true);
    expect(hub.connectionCount()).toBe(0);
  });
  it('keeps catch-up history within its byte bounds, per environment and in all, dropping the oldest', () => {
    const hub = new ChangeHub({ logger, historyBytesPerEnvironment: 10_000, historyBytesTotal: 15_000 });
    const big = (revision: number) => ({ revision, flags: { f: 'x'.repeat(3_000) }, segments: {} });
    for (let revision = 1; revision <= 10; revision++) hub.publish(ref('production'), big(revision));
    expect(hub.historyBytes(ref('production'))).toBeLessThanOrEqual(10_000);
    expect(hub.historyBytes(ref('production'))).toBeGreaterThan(6_000);
    // The newest patches are kept; older ones are gone, so a reconnect from before them gets a `put`.
    expect(hub.missedSince(ref('production'), 9, 10)).toHaveLength(1);
    expect(hub.missedSince(ref('production'), 5, 10)).toBeNull();
    for (let revision = 1; revision <= 3; revision++) hub.publish(ref('staging'), big(revision));
    expect(hub.historyBytes()).toBeLessThanOrEqual(15_000);
    // The overall bound took the oldest frames, which were production's.
    expect(hub.historyBytes(ref('staging'))).toBeGreaterThan(hub.historyBytes(ref('production')));
    expect(hub.missedSince(ref('staging'), 2, 3)).toHaveLength(1);
    hub.close();
  });
});
