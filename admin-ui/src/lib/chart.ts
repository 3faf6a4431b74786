import type { ExposureSeries } from '../types';

/** One bucket of the exposure chart. */
export interface ChartBucket {
  /** Start of the bucket, epoch ms. */
  start: number;
  counts: Record<string, number>;
  total: number;
}

/**
 * Groups per-minute exposure counts into `bucketCount` equal buckets over the series' range, with
 * zero buckets where nothing was reported (so gaps read as gaps).
 *
 * @example
 * bucketExposures(series, 48); // 48 half-hour buckets for a 24 h range
 */
export function bucketExposures(
  series: ExposureSeries,
  bucketCount: number,
): { buckets: ChartBucket[]; bucketMs: number } {
  const from = new Date(series.since).getTime();
  const to = new Date(series.until).getTime() + 60_000;
  const bucketMs = Math.max(60_000, Math.ceil((to - from) / bucketCount / 60_000) * 60_000);
  const count = Math.max(1, Math.ceil((to - from) / bucketMs));
  const buckets: ChartBucket[] = Array.from({ length: count }, (_, i) => ({
    start: from + i * bucketMs,
    counts: Object.fromEntries(series.variants.map((variant) => [variant, 0])),
    total: 0,
  }));
  for (const minute of series.minutes) {
    const index = Math.min(count - 1, Math.max(0, Math.floor((minute.minute * 60_000 - from) / bucketMs)));
    const bucket = buckets[index];
    if (!bucket) continue;
    for (const [variant, value] of Object.entries(minute.counts)) {
      bucket.counts[variant] = (bucket.counts[variant] ?? 0) + value;
      bucket.total += value;
    }
  }
  return { buckets, bucketMs };
}

/** A "nice" upper bound for an axis: 1, 2, 5 × 10^n at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= max) return step * magnitude;
  }
  return 10 * magnitude;
}

/** Compact counts for axis labels: 1200 → "1.2k". */
export function compactNumber(value: number): string {
  return new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}
