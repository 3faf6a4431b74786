import { describe, expect, it } from 'vitest';
import { onVariationOf, rolloutFallthrough } from './rollout.js';
import type { FlagConfig } from './wire.js';

const boolean: FlagConfig = {
  key: 'new-checkout',
  version: 3,
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
  fallthrough: { variation: 'off' },
  clientSide: false,
};

describe('rolloutFallthrough', () => {
  it('gives N% the "on" variation first, salted with the flag key', () => {
    expect(rolloutFallthrough(boolean, 12.5)).toEqual({
      rollout: {
        salt: 'new-checkout',
        variations: [
          { variation: 'on', weight: 12_500 },
          { variation: 'off', weight: 87_500 },
        ],
      },
    });
  });

  it('keeps the bucketing attribute of an existing rollout', () => {
    const config: FlagConfig = {
      ...boolean,
      fallthrough: { rollout: { bucketBy: 'accountId', variations: [{ variation: 'on', weight: 100_000 }] } },
    };
    const result = rolloutFallthrough(config, 0.001);
    expect(result).toMatchObject({ rollout: { bucketBy: 'accountId', salt: 'new-checkout' } });
  });

  it('picks the first variation that is not off for other kinds, and refuses a flag with none', () => {
    const colors = {
      offVariation: 'blue',
      variations: [
        { id: 'blue', value: 'blue' },
        { id: 'green', value: 'green' },
      ],
    };
    expect(onVariationOf(colors)).toBe('green');
    expect(() => onVariationOf({ offVariation: 'only', variations: [{ id: 'only', value: 1 }] })).toThrow(
      /no variation other than/,
    );
  });
});
