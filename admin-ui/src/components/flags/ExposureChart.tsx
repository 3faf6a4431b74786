import { useId, useState } from 'react';
import { useExposures } from '../../app/flags/flagsApi';
import { bucketExposures, compactNumber, niceMax } from '../../lib/chart';
import { variationColor, variationLabel } from '../../lib/variation-colors';
import type { Environment, Flag } from '../../types';
import { EmptyState, ErrorBanner, Loading } from '../common/Feedback';

const RANGES = [
  { hours: 1, label: 'Last hour', buckets: 60 },
  { hours: 6, label: 'Last 6 hours', buckets: 72 },
  { hours: 24, label: 'Last 24 hours', buckets: 96 },
  { hours: 24 * 7, label: 'Last 7 days', buckets: 84 },
];

const WIDTH = 760;
const HEIGHT = 240;
const PAD = { top: 12, right: 12, bottom: 28, left: 48 };

/** Evaluations per variant over time, from the SDKs' exposure summaries, as stacked bars. */
export function ExposureChart({ flag, env }: { flag: Flag; env: Environment }) {
  const id = useId();
  const [hours, setHours] = useState(24);
  const range = RANGES.find((r) => r.hours === hours) ?? RANGES[2]!;
  const exposures = useExposures(flag.key, env.key, hours);
  const series = exposures.data;
  const grand = series ? Object.values(series.totals).reduce((sum, n) => sum + n, 0) : 0;

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <header className="card-header">
        <div>
          <h3 id={`${id}-title`}>Evaluations per variant</h3>
          <p className="muted">What SDKs in {env.name} served, from their exposure summaries.</p>
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-range`}>Period</label>
          <select id={`${id}-range`} value={hours} onChange={(event) => setHours(Number(event.target.value))}>
            {RANGES.map((r) => (
              <option key={r.hours} value={r.hours}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
      </header>
      {exposures.isPending && <Loading label="Loading exposures…" />}
      <ErrorBanner error={exposures.error} />
      {series && grand === 0 && (
        <EmptyState title="No evaluations reported in this period">
          SDKs report how often they served each variant once a minute. Nothing came from {env.name} in the{' '}
          {range.label.toLowerCase()}.
        </EmptyState>
      )}
      {series && grand > 0 && (
        <Chart flag={flag} series={series} buckets={range.buckets} hours={hours} total={grand} />
      )}
    </section>
  );
}

function Chart({
  flag,
  series,
  buckets: bucketCount,
  hours,
  total,
}: {
  flag: Flag;
  series: NonNullable<ReturnType<typeof useExposures>['data']>;
  buckets: number;
  hours: number;
  total: number;
}) {
  const { buckets, bucketMs } = bucketExposures(series, bucketCount);
  const max = niceMax(Math.max(...buckets.map((b) => b.total)));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const barW = innerW / buckets.length;
  const y = (value: number) => PAD.top + innerH - (value / max) * innerH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const labelEvery = Math.ceil(buckets.length / 6);
  const timeLabel = (ms: number) =>
    new Date(ms).toLocaleString(
      'en-GB',
      hours > 24 ? { day: 'numeric', month: 'short' } : { hour: '2-digit', minute: '2-digit' },
    );
  const summary = series.variants
    .map((variant) => `${variationLabel(flag.variations, variant)}: ${series.totals[variant] ?? 0}`)
    .join(', ');

  return (
    <div className="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Evaluations per variant, ${total} in total (${summary}); one bar per ${Math.round(bucketMs / 60_000)} minutes`}
        className="chart-svg"
      >
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} className="chart-grid" />
            <text x={PAD.left - 8} y={y(tick) + 4} textAnchor="end" className="chart-label">
              {compactNumber(tick)}
            </text>
          </g>
        ))}
        {buckets.map((bucket, i) => {
          let base = 0;
          return (
            <g key={bucket.start}>
              {series.variants.map((variant) => {
                const value = bucket.counts[variant] ?? 0;
                if (value === 0) return null;
                const top = y(base + value);
                const height = y(base) - top;
                base += value;
                return (
                  <rect
                    key={variant}
                    x={PAD.left + i * barW + barW * 0.12}
                    y={top}
                    width={Math.max(1, barW * 0.76)}
                    height={Math.max(0.5, height)}
                    rx={Math.min(2, barW / 4)}
                    fill={variationColor(flag.variations, variant)}
                  >
                    <title>{`${timeLabel(bucket.start)} · ${variationLabel(flag.variations, variant)}: ${value}`}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 && (
                <text
                  x={PAD.left + i * barW + barW / 2}
                  y={HEIGHT - 8}
                  textAnchor="middle"
                  className="chart-label"
                >
                  {timeLabel(bucket.start)}
                </text>
              )}
            </g>
          );
        })}
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} className="chart-axis" />
      </svg>
      <ul className="legend">
        {series.variants.map((variant) => {
          const count = series.totals[variant] ?? 0;
          return (
            <li key={variant}>
              <span
                className="swatch"
                style={{ background: variationColor(flag.variations, variant) }}
                aria-hidden="true"
              />
              <span className="legend-name">{variationLabel(flag.variations, variant)}</span>
              <span className="legend-value">{count.toLocaleString('en')}</span>
              <span className="muted">{total > 0 ? `${((count / total) * 100).toFixed(1)}%` : ''}</span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
