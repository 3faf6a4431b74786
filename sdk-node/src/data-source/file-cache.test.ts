import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataSink, DataSource } from './data-source.js';
import { FileCacheDataSource } from './file-cache.js';
import { ManualClock } from './test-support/manual-clock.js';
import { RecordingSink } from './test-support/recording-sink.js';
import { booleanFlag, waitUntil } from './test-support/sdk-test-server.js';

/** A network source the test drives by hand. */
class ManualSource implements DataSource {
  sink: DataSink | null = null;
  closed = false;
  start(sink: DataSink): void {
    this.sink = sink;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ringflag-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const payload = (revision: number, on: boolean) => ({
  revision,
  flags: { a: booleanFlag('a', on, revision) },
  segments: {},
});

describe('FileCacheDataSource', () => {
  it('starts from the file when the network has not answered', async () => {
    const path = join(dir, 'flags.json');
    await writeFile(path, JSON.stringify(payload(7, true)));
    const inner = new ManualSource();
    const sink = new RecordingSink();
    new FileCacheDataSource(inner, { path }).start(sink);
    await waitUntil(() => sink.inits.length === 1);
    expect(sink.inits[0]?.revision).toBe(7);
    expect(inner.sink).not.toBeNull();
  });

  it('does not deliver the file once the network delivered, or after a fatal error', async () => {
    const path = join(dir, 'flags.json');
    await writeFile(path, JSON.stringify(payload(7, true)));
    const first = new RecordingSink();
    const network = new ManualSource();
    const delivered = new FileCacheDataSource(network, { path, clock: new ManualClock() });
    delivered.start(first);
    network.sink?.init(payload(9, false));
    const refused = new RecordingSink();
    const failing = new ManualSource();
    const gaveUp = new FileCacheDataSource(failing, { path });
    gaveUp.start(refused);
    failing.sink?.error(new Error('refused'), true);
    // Both have read the file and decided what to do with it.
    await Promise.all([delivered.settled(), gaveUp.settled()]);
    expect(first.inits.map((p) => p.revision)).toEqual([9]);
    expect(refused.inits).toEqual([]);
  });

  it('writes the payload with patches applied, debounced, atomically', async () => {
    const path = join(dir, 'nested', 'flags.json');
    const clock = new ManualClock();
    const inner = new ManualSource();
    const sink = new RecordingSink();
    const cache = new FileCacheDataSource(inner, { path, clock, debounceMs: 1_000 });
    cache.start(sink);
    inner.sink?.init({
      revision: 1,
      flags: { a: booleanFlag('a', true), b: booleanFlag('b', true) },
      segments: {},
    });
    inner.sink?.patch({ revision: 2, flags: { a: booleanFlag('a', false, 2), b: null } });
    inner.sink?.patch({ revision: 3, segments: { staff: { key: 'staff', included: ['u1'] } } });
    expect(clock.pendingTimers).toBe(1);
    // Every write queued so far has finished: none was, before the debounce time passed.
    await cache.settled();
    await expect(readFile(path, 'utf8')).rejects.toThrow(/ENOENT/);

    clock.advance(1_000);
    await waitUntil(() => sink.errors.length > 0 || clock.pendingTimers === 0);
    await cache.close();
    const written = JSON.parse(await readFile(path, 'utf8'));
    expect(written).toEqual({
      revision: 3,
      flags: { a: booleanFlag('a', false, 2) },
      segments: { staff: { key: 'staff', included: ['u1'] } },
    });
    expect(await readdir(join(dir, 'nested'))).toEqual(['flags.json']);
    expect(sink.inits).toHaveLength(1);
    expect(sink.patches).toHaveLength(2);
  });

  it('writes what is pending on close and closes the network source', async () => {
    const path = join(dir, 'flags.json');
    const inner = new ManualSource();
    const clock = new ManualClock();
    const cache = new FileCacheDataSource(inner, { path, clock });
    cache.start(new RecordingSink());
    inner.sink?.init(payload(4, true));
    await cache.close();
    expect(JSON.parse(await readFile(path, 'utf8')).revision).toBe(4);
    expect(inner.closed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports a corrupt file and carries on', async () => {
    const path = join(dir, 'flags.json');
    await writeFile(path, '{"revision": 3, "fla');
    const sink = new RecordingSink();
    new FileCacheDataSource(new ManualSource(), { path }).start(sink);
    await waitUntil(() => sink.errors.length === 1);
    expect(sink.errors[0]?.fatal).toBe(false);
    expect(sink.errors[0]?.error.message).toMatch(/cache file .* is not JSON.*ignoring it/);
    expect(sink.inits).toEqual([]);
  });

  it('reports a failed write once', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const inner = new ManualSource();
    const sink = new RecordingSink();
    const clock = new ManualClock();
    const cache = new FileCacheDataSource(inner, { path: join(blocker, 'flags.json'), clock });
    cache.start(sink);
    inner.sink?.init(payload(1, true));
    clock.advance(1_000);
    inner.sink?.patch({ revision: 2, flags: {} });
    clock.advance(1_000);
    await cache.close();
    expect(sink.errors.map((e) => e.error.message)).toEqual([
      expect.stringMatching(/^cannot read cache file .*ENOTDIR/),
      expect.stringMatching(/^cannot write cache file .*flags\.json/),
    ]);
    expect(sink.errors.every((e) => !e.fatal)).toBe(true);
  });
});
