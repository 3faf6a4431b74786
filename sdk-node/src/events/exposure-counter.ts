import type { ExposureSummary } from './types.js';

/**
 * Counts evaluations per flag and variation. `record` sits on the evaluation hot path: two map
 * lookups and a store, no allocation once a flag/variation pair has been seen (counts are zeroed,
 * not deleted, when taken). The pairs are bounded by the flags and variations in the environment,
 * since unknown flags evaluate with no variation and are not counted.
 */
export class ExposureCounter {
  private readonly counts = new Map<string, Map<string, number>>();
  private total = 0;

  record(flag: string, variant: string | null): void {
    if (variant === null) return;
    let byVariant = this.counts.get(flag);
    if (byVariant === undefined) {
      byVariant = new Map();
      this.counts.set(flag, byVariant);
    }
    byVariant.set(variant, (byVariant.get(variant) ?? 0) + 1);
    this.total += 1;
  }

  /** Whether anything was recorded since the last {@link take}. */
  get isEmpty(): boolean {
    return this.total === 0;
  }

  /** Returns the counts as summary lines for `minute` and starts over from zero. */
  take(minute: number): ExposureSummary[] {
    const lines: ExposureSummary[] = [];
    if (this.total === 0) return lines;
    for (const [flag, byVariant] of this.counts) {
      for (const [variant, count] of byVariant) {
        if (count === 0) continue;
        lines.push({ flag, variant, count, minute });
        byVariant.set(variant, 0);
      }
    }
    this.total = 0;
    return lines;
  }
}
