import { useId } from 'react';
import { rolloutFrom } from '../../lib/rollout';
import { valueText, variationLabel } from '../../lib/variation-colors';
import type { Serve, Variation } from '../../types';
import { describedBy, FieldMessages } from '../common/Field';
import { useFieldErrors } from './errors-context';
import { RolloutEditor } from './RolloutEditor';

/** What a rule or the default serves: one variation, or a percentage rollout. */
export function ServeEditor({
  serve,
  variations,
  path,
  label,
  onChange,
}: {
  serve: Serve;
  variations: readonly Variation[];
  path: string;
  label: string;
  onChange: (serve: Serve) => void;
}) {
  const id = useId();
  const isRollout = 'rollout' in serve;
  const variationErrors = useFieldErrors(`${path}.variation`);
  const firstServed = isRollout
    ? (serve.rollout.variations.find((v) => v.weight > 0)?.variation ?? variations[0]?.id ?? '')
    : serve.variation;
  return (
    <fieldset className="serve">
      <legend>{label}</legend>
      <div className="serve-mode">
        <label>
          <input
            type="radio"
            name={`${id}-mode`}
            checked={!isRollout}
            onChange={() => onChange({ variation: firstServed })}
          />
          A variation
        </label>
        <label>
          <input
            type="radio"
            name={`${id}-mode`}
            checked={isRollout}
            onChange={() => onChange({ rollout: rolloutFrom(variations, firstServed) })}
          />
          Percentage rollout
        </label>
      </div>
      {isRollout ? (
        <RolloutEditor
          rollout={serve.rollout}
          variations={variations}
          path={`${path}.rollout`}
          onChange={(rollout) => onChange({ rollout })}
        />
      ) : (
        <div className="serve-variation">
          <label htmlFor={`${id}-variation`} className="visually-hidden">{`${label}: variation`}</label>
          <select
            id={`${id}-variation`}
            value={serve.variation}
            onChange={(event) => onChange({ variation: event.target.value })}
            {...describedBy(`${id}-variation-errors`, variationErrors)}
          >
            {variations.map((v) => (
              <option key={v.id} value={v.id}>
                {variationLabel(variations, v.id)} ({valueText(v.value)})
              </option>
            ))}
          </select>
          <FieldMessages id={`${id}-variation-errors`} errors={variationErrors} />
        </div>
      )}
    </fieldset>
  );
}
