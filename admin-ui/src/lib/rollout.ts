import type { Rollout, Serve, Variation } from '../types';

/** Rollout weights are in thousandths of a percent and sum to this (DESIGN §3). */
export const TOTAL_WEIGHT = 100_000;

/**
 * Sets one weight and spreads the rest over the others in proportion to their current weights (evenly
 * when they are all zero), so the weights always sum to 100%.
 *
 * @example
 * rebalance([100_000, 0], 1, 25_000); // [75_000, 25_000]
 */
export function rebalance(weights: readonly number[], index: number, value: number): number[] {
  if (weights.length <= 1) return [TOTAL_WEIGHT];
  const target = Math.min(TOTAL_WEIGHT, Math.max(0, Math.round(value)));
  const rest = TOTAL_WEIGHT - target;
  const others = weights.map((_, i) => i).filter((i) => i !== index);
  const otherSum = others.reduce((sum, i) => sum + (weights[i] ?? 0), 0);
  const next = weights.map(() => 0);
  next[index] = target;
  let given = 0;
  for (const i of others) {
    const share = otherSum === 0 ? rest / others.length : ((weights[i] ?? 0) * rest) / otherSum;
    next[i] = Math.floor(share);
    given += next[i] ?? 0;
  }
  // Rounding leftovers go to the largest other weight, so the sum is exact.
  const largest = others.reduce((best, i) => ((next[i] ?? 0) > (next[best] ?? 0) ? i : best), others[0] ?? 0);
  next[largest] = (next[largest] ?? 0) + (rest - given);
  return next;
}

/** A weight as a percentage string: 25_000 → "25%", 12_500 → "12.5%", 333 → "0.333%". */
export function formatPercent(weight: number): string {
  const percent = weight / 1000;
  return `${Number.isInteger(percent) ? percent : Number(percent.toFixed(3))}%`;
}

/** A rollout over every variation, all of it to `variation`. */
export function rolloutFrom(variations: readonly Variation[], variation: string): Rollout {
  return {
    variations: variations.map((v) => ({ variation: v.id, weight: v.id === variation ? TOTAL_WEIGHT : 0 })),
  };
}

/** The weight a serve gives a variation (a plain variation serve is all or nothing). */
export function weightOf(serve: Serve, variation: string): number {
  if ('variation' in serve) return serve.variation === variation ? TOTAL_WEIGHT : 0;
  return serve.rollout.variations.find((v) => v.variation === variation)?.weight ?? 0;
}

/** Completes a rollout with a zero weight for every variation it leaves out, in the flag's order. */
export function withAllVariations(rollout: Rollout, variations: readonly Variation[]): Rollout {
  const weights = new Map(rollout.variations.map((v) => [v.variation, v.weight]));
  const known = variations.map((v) => ({ variation: v.id, weight: weights.get(v.id) ?? 0 }));
  const extra = rollout.variations.filter(
    (v) => !variations.some((variation) => variation.id === v.variation),
  );
  return { ...rollout, variations: [...known, ...extra] };
}
