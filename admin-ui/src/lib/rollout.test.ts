import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPercent, rebalance, rolloutFrom, TOTAL_WEIGHT, weightOf, withAllVariations } from './rollout';

const sum = (weights: number[]) => weights.reduce((a, b) => a + b, 0);

describe('rebalance', () => {
  it('gives the rest to the other side of a two-way split', () => {
    expect(rebalance([TOTAL_WEIGHT, 0], 1, 25_000)).toEqual([75_000, 25_000]);
    expect(rebalance([75_000, 25_000], 0, 10_000)).toEqual([10_000, 90_000]);
  });

  it('spreads the difference over the others in proportion, or evenly when they are all zero', () => {
    expect(rebalance([50_000, 30_000, 20_000], 0, 0)).toEqual([0, 60_000, 40_000]);
    expect(rebalance([TOTAL_WEIGHT, 0, 0], 0, 40_000)).toEqual([40_000, 30_000, 30_000]);
  });

  it('clamps out-of-range values and keeps a single variation at 100%', () => {
    expect(rebalance([50_000, 50_000], 0, 150_000)).toEqual([TOTAL_WEIGHT, 0]);
    expect(rebalance([50_000, 50_000], 0, -5)).toEqual([0, TOTAL_WEIGHT]);
    expect(rebalance([TOTAL_WEIGHT], 0, 10)).toEqual([TOTAL_WEIGHT]);
  });

  it('always sums to 100% and keeps the weight that was set', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: TOTAL_WEIGHT }), { minLength: 2, maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 0, max: TOTAL_WEIGHT }),
        (raw, pick, value) => {
          const index = pick % raw.length;
          const next = rebalance(raw, index, value);
          expect(sum(next)).toBe(TOTAL_WEIGHT);
          expect(next[index]).toBe(value);
          expect(next.every((w) => w >= 0 && Number.isInteger(w))).toBe(true);
        },
      ),
    );
  });
});

describe('rollout helpers', () => {
  const variations = [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ];

  it('formats thousandths of a percent', () => {
    expect(formatPercent(25_000)).toBe('25%');
    expect(formatPercent(12_500)).toBe('12.5%');
    expect(formatPercent(333)).toBe('0.333%');
  });

  it('starts a rollout with everything on the served variation', () => {
    expect(rolloutFrom(variations, 'on')).toEqual({
      variations: [
        { variation: 'off', weight: 0 },
        { variation: 'on', weight: TOTAL_WEIGHT },
      ],
    });
  });

  it('reads weights of plain and rollout serves, and fills in missing variations in flag order', () => {
    expect(weightOf({ variation: 'on' }, 'on')).toBe(TOTAL_WEIGHT);
    expect(weightOf({ variation: 'on' }, 'off')).toBe(0);
    const rollout = { bucketBy: 'org', variations: [{ variation: 'on', weight: TOTAL_WEIGHT }] };
    expect(weightOf({ rollout }, 'off')).toBe(0);
    expect(withAllVariations(rollout, variations)).toEqual({
      bucketBy: 'org',
      variations: [
        { variation: 'off', weight: 0 },
        { variation: 'on', weight: TOTAL_WEIGHT },
      ],
    });
  });
});
