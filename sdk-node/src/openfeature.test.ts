import { ErrorCode, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Ringflag } from './client.js';
import type { DataSink, DataSource } from './data-source/data-source.js';
import type { FlagConfigInput, SdkPayload } from './engine/index.js';
import { RingflagProvider, toRingflagContext } from './openfeature.js';

const boolean = (key: string, config: Partial<FlagConfigInput>): FlagConfigInput => ({
  key,
  version: 1,
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  enabled: true,
  offVariation: 'off',
  fallthrough: { variation: 'off' },
  ...config,
});

const payload: SdkPayload = {
  revision: 1,
  flags: {
    'new-checkout': boolean('new-checkout', {
      targets: [{ variation: 'on', keys: ['user-1'] }],
      rules: [
        {
          id: 'beta',
          clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
          serve: { variation: 'on' },
        },
      ],
    }),
    killed: boolean('killed', { enabled: false }),
    backend: {
      key: 'backend',
      version: 1,
      kind: 'string',
      variations: [
        { id: 'blue', value: 'blue' },
        { id: 'green', value: 'green' },
      ],
      enabled: true,
      offVariation: 'blue',
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'blue', weight: 0 },
            { variation: 'green', weight: 100_000 },
          ],
        },
      },
    },
    limits: {
      key: 'limits',
      version: 1,
      kind: 'json',
      variations: [{ id: 'default', value: { max: 3 } }],
      enabled: true,
      offVariation: 'default',
      fallthrough: { variation: 'default' },
    },
    retries: {
      key: 'retries',
      version: 1,
      kind: 'number',
      variations: [{ id: 'three', value: 3 }],
      enabled: true,
      offVariation: 'three',
      fallthrough: { variation: 'three' },
    },
  },
  segments: {},
};

/** A data source the test drives by hand. */
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

describe('RingflagProvider', () => {
  afterEach(async () => {
    await OpenFeature.close();
  });

  const setup = async () => {
    const source = new ManualSource();
    const client = new Ringflag({ dataSource: source, sendEvents: false });
    const provider = new RingflagProvider(client);
    const ready = OpenFeature.setProviderAndWait(provider);
    source.sink?.init(payload);
    await ready;
    return { source, provider, of: OpenFeature.getClient() };
  };

  it('resolves every type with mapped reasons, variants and metadata; targetingKey is our key', async () => {
    const { of } = await setup();
    expect(await of.getBooleanDetails('new-checkout', false, { targetingKey: 'user-1' })).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(
      await of.getBooleanDetails('new-checkout', false, { targetingKey: 'u9', groups: ['beta'] }),
    ).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      flagMetadata: { ruleId: 'beta', ruleIndex: 0 },
    });
    expect(await of.getBooleanDetails('new-checkout', true, { targetingKey: 'u9' })).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DEFAULT',
    });
    expect(await of.getBooleanDetails('killed', true, {})).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });
    expect(await of.getStringDetails('backend', 'blue', { targetingKey: 'user-1' })).toMatchObject({
      value: 'green',
      reason: 'SPLIT',
      flagMetadata: { inRollout: true },
    });
    expect(await of.getNumberValue('retries', 0, {})).toBe(3);
    expect(await of.getObjectValue('limits', {}, {})).toEqual({ max: 3 });
  });

  it('returns the default with an error code instead of throwing', async () => {
    const { of } = await setup();
    expect(await of.getBooleanDetails('missing', true, {})).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(await of.getStringDetails('new-checkout', 'x', {})).toMatchObject({
      value: 'x',
      reason: 'ERROR',
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
    expect(await of.getObjectDetails('backend', { a: 1 }, {})).toMatchObject({
      value: { a: 1 },
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
  });

  it('emits ConfigurationChanged once per batch with the changed keys, and closes the client', async () => {
    const { source, provider } = await setup();
    const heard: string[][] = [];
    OpenFeature.getClient().addHandler(ProviderEvents.ConfigurationChanged, (details) =>
      heard.push(details?.flagsChanged ?? []),
    );
    source.sink?.patch({
      revision: 2,
      flags: {
        killed: boolean('killed', { version: 2, fallthrough: { variation: 'on' } }),
        'new-checkout': boolean('new-checkout', { version: 2 }),
      },
    });
    await vi.waitFor(() => expect(heard).not.toHaveLength(0));
    // A second batch: once its event is heard, every event of the first batch has been too.
    source.sink?.patch({ revision: 3, flags: { retries: { ...payload.flags.retries, version: 2 } } });
    await vi.waitFor(() => expect(heard.flat()).toContain('retries'));
    expect(heard.map((keys) => [...keys].sort())).toEqual([['killed', 'new-checkout'], ['retries']]);
    expect(await OpenFeature.getClient().getBooleanValue('killed', false, {})).toBe(true);
    await OpenFeature.close();
    expect(source.closed).toBe(true);
    expect(provider.client.isReady).toBe(true);
  });

  it('maps OpenFeature contexts to flat Ringflag contexts', () => {
    const at = new Date(1_700_000_000_000);
    expect(
      toRingflagContext({
        targetingKey: 'u',
        plan: 'pro',
        seats: 3,
        beta: true,
        groups: ['a'],
        signedUp: at,
        nested: { a: 1 },
      }),
    ).toEqual({ key: 'u', plan: 'pro', seats: 3, beta: true, groups: ['a'], signedUp: 1_700_000_000_000 });
  });
});
