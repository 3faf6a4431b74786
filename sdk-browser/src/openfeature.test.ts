// @vitest-environment happy-dom
import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/web-sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openFeatureReason, RingflagWebProvider, toRingflagContext } from './openfeature.js';
import { FakeEventSource, on } from './test-support/fake-event-source.js';

const options = {
  clientKey: 'rf_cli_test',
  baseUrl: 'https://flags.example.com',
  EventSource: FakeEventSource,
  sendEvents: false,
  storage: null,
};

beforeEach(() => FakeEventSource.reset());
afterEach(async () => {
  vi.restoreAllMocks();
  await OpenFeature.clearProviders();
  await OpenFeature.clearContext();
  OpenFeature.clearHandlers();
});

/** Sets the provider and delivers the first `put` once its stream opened. */
async function start(flags: object, context = { targetingKey: 'user-1', groups: ['beta'] }) {
  await OpenFeature.setContext(context);
  const provider = new RingflagWebProvider(options);
  const ready = OpenFeature.setProviderAndWait(provider);
  FakeEventSource.last.emit('put', { revision: 1, flags });
  await ready;
  return provider;
}

describe('RingflagWebProvider through OpenFeature.getClient()', () => {
  it('evaluates with OpenFeature context, types and reasons', async () => {
    await start({
      banner: {
        value: true,
        variant: 'on',
        reason: { kind: 'RULE_MATCH', ruleId: 'beta', ruleIndex: 1, inRollout: true },
      },
      color: { value: 'blue', variant: 'blue', reason: { kind: 'OFF' } },
      limit: { value: 5, variant: 'five', reason: { kind: 'TARGET_MATCH' } },
      layout: { value: { columns: 2 }, variant: 'two', reason: { kind: 'FALLTHROUGH' } },
    });
    expect(FakeEventSource.last.context).toEqual({ key: 'user-1', groups: ['beta'] });
    const client = OpenFeature.getClient();
    expect(client.getBooleanDetails('banner', false)).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'SPLIT',
      flagMetadata: { ruleId: 'beta' },
    });
    expect(client.getStringDetails('color', 'green')).toMatchObject({ value: 'blue', reason: 'DISABLED' });
    expect(client.getNumberDetails('limit', 0)).toMatchObject({ value: 5, reason: 'TARGETING_MATCH' });
    expect(client.getObjectValue('layout', {})).toEqual({ columns: 2 });
    expect(client.getBooleanDetails('missing', false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(client.getNumberDetails('color', 1)).toMatchObject({
      value: 1,
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
  });

  it('emits ConfigurationChanged with the changed keys', async () => {
    await start({ banner: on() });
    const changed = new Promise<string[] | undefined>((resolve) =>
      OpenFeature.getClient().addHandler(ProviderEvents.ConfigurationChanged, (details) =>
        resolve(details?.flagsChanged),
      ),
    );
    FakeEventSource.last.emit('patch', { revision: 2, flags: { banner: on('off'), other: on() } });
    expect(await changed).toEqual(['banner', 'other']);
    expect(OpenFeature.getClient().getBooleanValue('banner', true)).toBe(false);
  });

  it('follows OpenFeature.setContext with identify', async () => {
    await start({ banner: on() });
    const switched = OpenFeature.setContext({
      targetingKey: 'user-2',
      signup: new Date('2024-01-02T00:00:00Z'),
    });
    const stream = FakeEventSource.last;
    expect(stream.context).toEqual({ key: 'user-2', signup: '2024-01-02T00:00:00.000Z' });
    stream.emit('put', { revision: 1, flags: { banner: on('off') } });
    await switched;
    expect(OpenFeature.getClient().getBooleanValue('banner', true)).toBe(false);
  });

  it('fails to initialize on a refused key', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const provider = new RingflagWebProvider({
      ...options,
      stream: false,
      fetch: async () => new Response(null, { status: 403 }),
    });
    await expect(OpenFeature.setProviderAndWait(provider)).rejects.toThrow(/403/);
    expect(OpenFeature.getClient().providerStatus).toBe(ProviderStatus.ERROR);
  });
});

describe('mappings', () => {
  it('maps reasons', () => {
    expect(openFeatureReason({ kind: 'FALLTHROUGH' })).toBe('DEFAULT');
    expect(openFeatureReason({ kind: 'FALLTHROUGH', inRollout: true })).toBe('SPLIT');
    expect(openFeatureReason({ kind: 'PREREQUISITE_FAILED', prerequisiteKey: 'x' })).toBe('DEFAULT');
    expect(openFeatureReason({ kind: 'ERROR', errorKind: 'GENERAL' })).toBe('ERROR');
  });

  it('keeps scalar and array attributes only', () => {
    expect(
      toRingflagContext({ targetingKey: 'u', nested: { a: 1 }, tags: ['a', 1], mixed: ['a', { b: 1 }] }),
    ).toEqual({
      key: 'u',
      tags: ['a', 1],
    });
  });
});
