import { type CSSProperties, useId } from 'react';
import { formatPercent, rebalance, TOTAL_WEIGHT, withAllVariations } from '../../lib/rollout';
import { variationColor, variationLabel } from '../../lib/variation-colors';
import type { Rollout, Variation } from '../../types';
import { describedBy, FieldMessages } from '../common/Field';
import { useFieldErrors } from './errors-context';

/** The split as a bar: one coloured segment per variation. */
export function RolloutBar({ rollout, variations }: { rollout: Rollout; variations: readonly Variation[] }) {
  return (
    <div className="rollout-bar" role="img" aria-label={describeRollout(rollout, variations)}>
      {rollout.variations
        .filter((v) => v.weight > 0)
        .map((v) => (
          <span
            key={v.variation}
            className="rollout-segment"
            style={{
              width: `${(v.weight / TOTAL_WEIGHT) * 100}%`,
              background: variationColor(variations, v.variation),
            }}
            title={`${variationLabel(variations, v.variation)} ${formatPercent(v.weight)}`}
          >
            {v.weight >= 8000 ? `${variationLabel(variations, v.variation)} ${formatPercent(v.weight)}` : ''}
          </span>
        ))}
    </div>
  );
}

export function describeRollout(rollout: Rollout, variations: readonly Variation[]): string {
  return rollout.variations
    .map((v) => `${variationLabel(variations, v.variation)} ${formatPercent(v.weight)}`)
    .join(', ');
}

/**
 * Weight sliders that always sum to 100%: moving one spreads the difference over the others. Each
 * variation also has a number input for exact percentages.
 */
export function RolloutEditor({
  rollout,
  variations,
  path,
  onChange,
}: {
  rollout: Rollout;
  variations: readonly Variation[];
  path: string;
  onChange: (rollout: Rollout) => void;
}) {
  const id = useId();
  const full = withAllVariations(rollout, variations);
  const weights = full.variations.map((v) => v.weight);
  const errors = useFieldErrors(`${path}.variations`);
  const bucketErrors = useFieldErrors(`${path}.bucketBy`);
  const set = (index: number, weight: number) => {
    const next = rebalance(weights, index, weight);
    onChange({ ...full, variations: full.variations.map((v, i) => ({ ...v, weight: next[i] ?? 0 })) });
  };
  return (
    <div className="rollout-editor">
      <RolloutBar rollout={full} variations={variations} />
      <div className="rollout-rows">
        {full.variations.map((v, index) => {
          const name = variationLabel(variations, v.variation);
          return (
            <div
              key={v.variation}
              className="rollout-row"
              style={{ '--swatch': variationColor(variations, v.variation) } as CSSProperties}
            >
              <span className="swatch" aria-hidden="true" />
              <span className="rollout-name">{name}</span>
              <input
                type="range"
                min={0}
                max={TOTAL_WEIGHT}
                step={500}
                value={v.weight}
                aria-label={`Share of ${name}`}
                aria-valuetext={formatPercent(v.weight)}
                onChange={(event) => set(index, Number(event.target.value))}
              />
              <span className="percent-input">
                <label>
                  <span className="visually-hidden">{`Percentage for ${name}`}</span>
                  <input
                    type="number"
                    min={0}
                    max={100}
                    step={0.1}
                    value={Number((v.weight / 1000).toFixed(3))}
                    onChange={(event) => {
                      const percent = Number(event.target.value);
                      if (Number.isFinite(percent)) set(index, Math.round(percent * 1000));
                    }}
                    {...describedBy(`${id}-errors`, errors)}
                  />
                </label>
                <span aria-hidden="true">%</span>
              </span>
            </div>
          );
        })}
      </div>
      <div className="rollout-options">
        <label htmlFor={`${id}-bucket`}>Bucket by</label>
        <input
          id={`${id}-bucket`}
          className="input-small"
          value={full.bucketBy ?? ''}
          placeholder="key"
          onChange={(event) => {
            const { bucketBy: _bucketBy, ...rest } = full;
            onChange(
              event.target.value.trim() === '' ? rest : { ...rest, bucketBy: event.target.value.trim() },
            );
          }}
          {...describedBy(`${id}-bucket-errors`, bucketErrors)}
        />
        <FieldMessages id={`${id}-bucket-errors`} errors={bucketErrors} />
      </div>
      <FieldMessages id={`${id}-errors`} errors={errors} />
    </div>
  );
}
