import { EventEmitter } from 'node:events';
import type { Context } from '@ringflag/sdk-node/engine';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';
import { findEnvironment } from '../environments/environments.store.js';
import { DEFAULT_PROJECT, environmentRef, inProject } from '../projects/project-scope.js';
import { payloadReader } from '../sdk/payload-cache.js';
import { contextHash } from './client-context.js';
import { ClientStreams, type ClientStreamsOptions, diffResults } from './client-streams.js';
import { EnvironmentCache } from './environment-cache.js';
import { EvaluationCache } from './evaluation-cache.js';

/** A stand-in for a Node response: records what is written, emits 'close' when destroyed. */
class FakeResponse extends EventEmitter {
  chunks: Buffer[] = [];
  destroyed = false;
  writableLength = 0;
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  events(): { event: string; id: number; data: { revision: number; flags: Record<string, unknown> } }[] {
    return Buffer.concat(this.chunks)
      .toString()
      .split('\n\n')
      .filter((frame) => frame.startsWith('event:'))
      .map((frame) => {
        const [event, id, data] = frame.split('\n');
        return {
          event: (event ?? '').slice(7),
          id: Number((id ?? '').slice(4)),
          data: JSON.parse((data ?? '').slice(6)),
        };
      });
  }
}

const ENV = 'development';
/** The ref of ENV, what streams and evaluations are keyed by. */
const ENV_REF = environmentRef(DEFAULT_PROJECT.key, ENV);
const on = { value: true, variant: 'on', reason: { kind: 'FALLTHROUGH' } } as const;
const off = { value: false, variant: 'off', reason: { kind: 'OFF' } } as const;

describe('diffResults', () => {
  it('lists changed flags, null for flags that are gone, and null when nothing changed', () => {
    expect(diffResults({ a: on, b: off }, { a: on, b: on })).toEqual({ b: on });
    expect(diffResults({ a: on, constructor: off }, { a: on })).toEqual({ constructor: null });
    expect(diffResults({ a: on }, { a: { ...on } })).toBeNull();
    expect(
      diffResults({ a: { ...on, reason: { kind: 'RULE_MATCH', ruleId: 'x', ruleIndex: 0 } } }, { a: on }),
    ).toEqual({
      a: on,
    });
    expect(
      diffResults(
        { j: { value: { a: 1 }, variant: 'v', reason: { kind: 'FALLTHROUGH' } } },
        {
          j: { value: { a: 2 }, variant: 'v', reason: { kind: 'FALLTHROUGH' } },
        },
      ),
    ).not.toBeNull();
  });
});

describe('ClientStreams', () => {
  let t: TestApp;
  let streams: ClientStreams;
  const evaluations = new EvaluationCache();

  const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await t.request(method, path, { token: t.adminToken, body, headers });
    expect(res.status, res.text).toBeLessThan(300);
  };
  const storeOf = async () => {
    const env = await inProject(DEFAULT_PROJECT, () => findEnvironment(t.database, ENV));
    if (!env) throw new Error('no env');
    return (await t.deps.payloads.get(t.database, env)).store();
  };
  const newStreams = (options?: ClientStreamsOptions) =>
    new ClientStreams(
      {
        environments: new EnvironmentCache(t.database, t.deps.hub),
        payloads: payloadReader(t.database, t.deps.payloads),
        hub: t.deps.hub,
        logger: t.deps.logger,
        metrics: t.deps.metrics,
      },
      options,
    );
  const open = async (context: Context, keyId = 1) => {
    const store = await storeOf();
    const hash = contextHash(context);
    const response = new FakeResponse();
    streams.attach(
      response,
      ENV_REF,
      keyId,
      context,
      hash,
      evaluations.get(ENV_REF, 'client', store, context, hash),
    );
    return response;
  };

  beforeEach(async () => {
    t = await createTestApp();
    streams = newStreams();
    await admin('POST', '/api/v1/flags', { key: 'banner', kind: 'boolean', clientSide: true });
    await admin('POST', '/api/v1/flags', { key: 'beta', kind: 'boolean', clientSide: true });
    await admin('POST', '/api/v1/flags', { key: 'server-only', kind: 'boolean' });
    await admin(
      'PUT',
      `/api/v1/flags/beta/environments/${ENV}`,
      {
        enabled: true,
        offVariation: 'off',
        targets: [{ variation: 'on', keys: ['user-1'] }],
        fallthrough: { variation: 'off' },
      },
      ANY_VERSION,
    );
  });
  afterEach(async () => {
    streams.close();
    await t.close();
  });

  it('sends each context a patch with only the flags that changed for it', async () => {
    const user1 = await open({ key: 'user-1' });
    const user2 = await open({ key: 'user-2' });
    expect(user1.events()[0]?.event).toBe('put');
    expect(Object.keys(user1.events()[0]?.data.flags ?? {}).sort()).toEqual(['banner', 'beta']);
    const putRevision = user1.events()[0]?.id ?? 0;

    // Taking user-1 out of the targets changes beta for user-1 only.
    await admin(
      'PUT',
      `/api/v1/flags/beta/environments/${ENV}`,
      {
        enabled: true,
        offVariation: 'off',
        fallthrough: { variation: 'off' },
      },
      ANY_VERSION,
    );
    // The fan-out runs after the write's response (setImmediate): wait for the patch itself.
    await vi.waitFor(() => expect(user1.events()).toHaveLength(2));
    expect(user1.events().slice(1)).toEqual([
      {
        event: 'patch',
        id: putRevision + 1,
        data: {
          revision: putRevision + 1,
          flags: { beta: { value: false, variant: 'off', reason: { kind: 'FALLTHROUGH' } } },
        },
      },
    ]);

    // A change to a flag browsers cannot see sends nothing. The next change that does reach them
    // proves the fan-out of the first one has passed: it must be the very next event.
    await admin('POST', `/api/v1/flags/server-only/environments/${ENV}/toggle`, { enabled: true });
    // A flag that stops being clientSide is null.
    await admin('PATCH', '/api/v1/flags/banner', { clientSide: false });
    await vi.waitFor(() => expect(user2.events()).toHaveLength(2));
    await vi.waitFor(() => expect(user1.events()).toHaveLength(3));
    expect(user2.events()[1]?.data.flags).toEqual({ banner: null });
    expect(user1.events()[2]?.data.flags).toEqual({ banner: null });
  });

  it('evaluates streams that share a context once per revision and writes them the same bytes', async () => {
    const a = await open({ key: 'user-1', plan: 'pro' });
    const b = await open({ plan: 'pro', key: 'user-1' });
    expect(streams.contextCount(ENV_REF)).toBe(1);
    expect(streams.connectionCount(ENV_REF)).toBe(2);
    await admin('POST', `/api/v1/flags/banner/environments/${ENV}/toggle`, { enabled: true });
    await vi.waitFor(() => expect(a.chunks[1]).toBeDefined());
    expect(a.chunks[1]).toBe(b.chunks[1]);
    a.destroy();
    expect(streams.connectionCount(ENV_REF)).toBe(1);
    b.destroy();
    expect(streams.contextCount(ENV_REF)).toBe(0);
  });

  it('bounds the memory of per-context state: a new context past it has no room, a shared one does', async () => {
    const store = await storeOf();
    const small = newStreams({ maxStateBytes: 20_000 });
    const contexts = Array.from({ length: 50 }, (_, i) => ({ key: `user-${i}`, note: 'x'.repeat(500) }));
    let attached = 0;
    for (const context of contexts) {
      const hash = contextHash(context);
      const initial = evaluations.get(ENV_REF, 'client', store, context, hash);
      if (!small.hasRoomFor(ENV_REF, hash, context, initial)) break;
      small.attach(new FakeResponse(), ENV_REF, 1, context, hash, initial);
      attached++;
    }
    expect(attached).toBeGreaterThan(0);
    expect(attached).toBeLessThan(contexts.length);
    expect(small.bytes).toBeLessThanOrEqual(20_000);
    const first = contexts[0] as Context;
    const hash = contextHash(first);
    expect(
      small.hasRoomFor(ENV_REF, hash, first, evaluations.get(ENV_REF, 'client', store, first, hash)),
    ).toBe(true);
    small.close();
  });

  it('brings a stream up to date when a revision is published between its read and its attach', async () => {
    const store = await storeOf();
    const context = { key: 'user-1' };
    const hash = contextHash(context);
    const initial = evaluations.get(ENV_REF, 'client', store, context, hash);
    // The request read the payload; a write lands before the stream is attached.
    await admin('POST', `/api/v1/flags/banner/environments/${ENV}/toggle`, { enabled: true });
    const response = new FakeResponse();
    streams.attach(response, ENV_REF, 1, context, hash, initial);
    await vi.waitFor(() => expect(response.events()).toHaveLength(2));
    const patch = response.events()[1];
    expect(patch).toMatchObject({ event: 'patch', id: initial.revision + 1 });
    expect(patch?.data.flags.banner).toBeDefined();
    expect(patch?.data.flags.banner).not.toEqual(initial.results.banner);
  });

  it('closes the streams of a revoked key', async () => {
    const response = await open({ key: 'user-1' }, 42);
    t.deps.hub.disconnectKey(42);
    expect(response.destroyed).toBe(true);
    expect(streams.connectionCount(ENV_REF)).toBe(0);
  });
});
