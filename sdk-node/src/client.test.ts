import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Ringflag } from './client.js';
import type { DataSink, DataSource } from './data-source/data-source.js';
import { ManualClock } from './data-source/test-support/manual-clock.js';
import type { SdkPayload } from './engine/index.js';

const payload: SdkPayload = {
  revision: 3,
  flags: {
    'new-checkout': {
      key: 'new-checkout',
      version: 1,
      kind: 'boolean',
      variations: [
        { id: 'off', value: false },
        { id: 'on', value: true },
      ],
      enabled: true,
      offVariation: 'off',
      rules: [
        {
          id: 'beta',
          clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'off' },
    },
    'checkout-backend': {
      key: 'checkout-backend',
      version: 1,
      kind: 'string',
      variations: [
        { id: 'blue', value: 'blue' },
        { id: 'green', value: 'green' },
      ],
      enabled: true,
      offVariation: 'blue',
      fallthrough: { variation: 'green' },
    },
  },
  segments: {},
};

const silent = { warn: () => {}, error: () => {} };

/** A data source the test drives by hand. */
class ManualSource implements DataSource {
  sink: DataSink | null = null;
  closed = false;
  start(sink: DataSink) {
    this.sink = sink;
  }
  async close() {
    this.closed = true;
  }
}

describe('Ringflag (offline)', () => {
  it('evaluates a bootstrap object', async () => {
    const flags = new Ringflag({ offline: true, bootstrap: payload });
    await flags.ready();
    expect(flags.revision).toBe(3);
    expect(flags.isEnabled('new-checkout', { key: 'u1', groups: ['beta'] })).toBe(true);
    expect(flags.isEnabled('new-checkout', { key: 'u1' })).toBe(false);
    const backend: string = flags.variation('checkout-backend', { key: 'u1' }, 'blue');
    expect(backend).toBe('green');
    expect(flags.variationDetail('new-checkout', { groups: ['beta'] }, false)).toEqual({
      value: true,
      variant: 'on',
      reason: { kind: 'RULE_MATCH', ruleId: 'beta', ruleIndex: 0 },
    });
    expect(flags.variationDetail('checkout-backend', {}, false).reason).toEqual({
      kind: 'ERROR',
      errorKind: 'WRONG_TYPE',
    });
    expect(flags.allFlags({ groups: ['beta'] })).toEqual({
      'new-checkout': true,
      'checkout-backend': 'green',
    });
    await flags.close();
  });

  it('reads a bootstrap file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringflag-'));
    const file = join(dir, 'flags.json');
    writeFileSync(file, JSON.stringify(payload));
    const flags = new Ringflag({ offline: true, bootstrap: file });
    await flags.ready({ timeoutMs: 2000 });
    expect(flags.variation('checkout-backend', {}, 'blue')).toBe('green');
    await flags.close();
  });

  it('rejects ready() with a clear message when the bootstrap file is missing or not a payload', async () => {
    const missing = new Ringflag({ offline: true, bootstrap: '/nonexistent/flags.json', logger: silent });
    await expect(missing.ready()).rejects.toThrow(/cannot read bootstrap file \/nonexistent\/flags.json/);
    expect(missing.variationDetail('new-checkout', {}, false).reason).toEqual({
      kind: 'ERROR',
      errorKind: 'CLIENT_NOT_READY',
    });
    const dir = mkdtempSync(join(tmpdir(), 'ringflag-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ flags: [] }));
    const bad = new Ringflag({ offline: true, bootstrap: file, logger: silent });
    await expect(bad.ready()).rejects.toThrow(/is not an SDK payload .*revision/);
  });

  it('serves defaults and rejects ready() on timeout before data arrives', async () => {
    const source = new ManualSource();
    const flags = new Ringflag({ dataSource: source, logger: silent });
    expect(flags.isEnabled('new-checkout', { groups: ['beta'] })).toBe(false);
    expect(flags.variation('checkout-backend', {}, 'blue')).toBe('blue');
    await expect(flags.ready({ timeoutMs: 1 })).rejects.toThrow(/within 1 ms/);
    await flags.close();
    expect(source.closed).toBe(true);
  });

  it('emits ready and a change per affected flag; a throwing handler stops no other', async () => {
    const source = new ManualSource();
    const errors: string[] = [];
    const flags = new Ringflag({
      dataSource: source,
      logger: { warn: () => {}, error: (m) => errors.push(m) },
    });
    const ready = vi.fn();
    const changes: string[] = [];
    flags.on('ready', ready);
    flags.on('change', () => {
      throw new Error('handler bug');
    });
    flags.on('change', ({ key }) => changes.push(key));
    source.sink?.init(payload);
    await flags.ready();
    expect(ready).toHaveBeenCalledWith({ revision: 3 });
    const next = {
      ...(payload.flags['new-checkout'] as object),
      version: 2,
      fallthrough: { variation: 'on' },
    };
    source.sink?.patch({ revision: 4, flags: { 'new-checkout': next } });
    expect(changes).toEqual(['new-checkout']);
    expect(flags.isEnabled('new-checkout', {})).toBe(true);
    expect(errors.some((m) => m.includes('handler bug'))).toBe(true);
    source.sink?.init({ ...payload, revision: 5 });
    expect(changes).toEqual(['new-checkout', 'new-checkout']);
    await flags.close();
  });

  it('logs transient problems at most once per 30 s, counting the rest, and emits every one', async () => {
    const source = new ManualSource();
    const clock = new ManualClock();
    const warnings: string[] = [];
    const flags = new Ringflag({
      dataSource: source,
      clock,
      logger: { warn: (m) => warnings.push(m), error: () => {} },
    });
    const emitted: string[] = [];
    flags.on('error', (error) => emitted.push(error.message));
    const fail = (n: number) => source.sink?.error(new Error(`stream failed ${n}`), false);
    for (let n = 1; n <= 5; n++) {
      fail(n);
      clock.advance(2_000);
    }
    expect(warnings).toEqual(['stream failed 1']);
    clock.advance(20_000);
    fail(6);
    expect(warnings).toEqual(['stream failed 1', 'stream failed 6 (4 more since the last warning)']);
    clock.advance(30_000);
    fail(7);
    expect(warnings.at(-1)).toBe('stream failed 7');
    expect(emitted).toHaveLength(7);
    await flags.close();
  });

  it('ignores a patch at or below the revision it holds, so a repeated one cannot bring back an older value', async () => {
    const source = new ManualSource();
    const flags = new Ringflag({ dataSource: source, logger: { warn: () => {}, error: () => {} } });
    source.sink?.init(payload);
    await flags.ready();
    const on = { ...(payload.flags['new-checkout'] as object), version: 2, fallthrough: { variation: 'on' } };
    const off = {
      ...(payload.flags['new-checkout'] as object),
      version: 3,
      fallthrough: { variation: 'off' },
    };
    source.sink?.patch({ revision: 4, flags: { 'new-checkout': on } });
    expect(flags.isEnabled('new-checkout', {})).toBe(true);
    source.sink?.patch({ revision: 4, flags: { 'new-checkout': off } });
    source.sink?.patch({ revision: 2, flags: { 'new-checkout': off } });
    expect(flags.isEnabled('new-checkout', {})).toBe(true);
    source.sink?.patch({ revision: 5, flags: { 'new-checkout': off } });
    expect(flags.isEnabled('new-checkout', {})).toBe(false);
    await flags.close();
  });

  it('needs offline, a data source, or a key and a URL', () => {
    expect(() => new Ringflag({})).toThrow(TypeError);
  });
});
