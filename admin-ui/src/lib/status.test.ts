import { describe, expect, it } from 'vitest';
import type { FlagConfig } from '../types';
import { flagStatus } from './status';

const base: FlagConfig = {
  key: 'f',
  version: 1,
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  enabled: true,
  offVariation: 'off',
  prerequisites: [],
  targets: [],
  rules: [],
  fallthrough: { variation: 'on' },
  clientSide: false,
};

describe('flagStatus', () => {
  it('is off when disabled, whatever it would serve', () => {
    expect(flagStatus({ ...base, enabled: false })).toEqual({ kind: 'off', label: 'off' });
  });

  it('is on when everyone gets a variation other than the off one', () => {
    expect(flagStatus(base).kind).toBe('on');
    const all = { rollout: { variations: [{ variation: 'on', weight: 100_000 }] } };
    expect(flagStatus({ ...base, fallthrough: all }).label).toBe('on');
  });

  it('is rolling out n% when the default rule is a partial rollout', () => {
    const fallthrough = {
      rollout: {
        variations: [
          { variation: 'off', weight: 75_000 },
          { variation: 'on', weight: 25_000 },
        ],
      },
    };
    expect(flagStatus({ ...base, fallthrough })).toEqual({
      kind: 'rollout',
      label: 'rolling out 25%',
      weight: 25_000,
    });
  });

  it('is targeted when only rules or targets get something else', () => {
    const rules = [
      {
        id: 'r',
        clauses: [{ attribute: 'groups', op: 'in' as const, values: ['beta'] }],
        serve: { variation: 'on' },
      },
    ];
    expect(flagStatus({ ...base, fallthrough: { variation: 'off' }, rules }).kind).toBe('targeted');
    expect(flagStatus({ ...base, fallthrough: { variation: 'off' } }).label).toBe('on · serves off');
  });
});
