import { useId, useState } from 'react';
import { splitList } from '../../lib/context-form';
import { variationColor, variationLabel } from '../../lib/variation-colors';
import type { Target, Variation } from '../../types';
import { describedBy, FieldMessages } from '../common/Field';
import { useFieldErrors } from './errors-context';

/** Individual targets: context keys that get a variation whatever the rules say. */
export function TargetsEditor({
  targets,
  variations,
  onChange,
}: {
  targets: Target[];
  variations: readonly Variation[];
  onChange: (targets: Target[]) => void;
}) {
  const setKeys = (variation: string, keys: string[]) => {
    const others = targets.filter((t) => t.variation !== variation);
    const next = keys.length === 0 ? others : [...others, { variation, keys }];
    // Keep the flag's variation order, so the saved config is stable.
    onChange(variations.flatMap((v) => next.filter((t) => t.variation === v.id)));
  };
  return (
    <div className="targets">
      {variations.map((v) => {
        const index = targets.findIndex((t) => t.variation === v.id);
        return (
          <TargetKeys
            key={v.id}
            label={`Keys served ${variationLabel(variations, v.id)}`}
            color={variationColor(variations, v.id)}
            keys={targets[index]?.keys ?? []}
            path={index < 0 ? undefined : `targets[${index}]`}
            onChange={(keys) => setKeys(v.id, keys)}
          />
        );
      })}
    </div>
  );
}

function TargetKeys({
  label,
  color,
  keys,
  path,
  onChange,
}: {
  label: string;
  color: string;
  keys: string[];
  path: string | undefined;
  onChange: (keys: string[]) => void;
}) {
  const id = useId();
  const [text, setText] = useState(() => keys.join(', '));
  if (JSON.stringify(splitList(text)) !== JSON.stringify(keys)) setText(keys.join(', '));
  const errors = useFieldErrors(path ?? '\u0000');
  return (
    <div className="field target-keys">
      <label htmlFor={id}>
        <span className="swatch" style={{ background: color }} aria-hidden="true" />
        {label}
      </label>
      <textarea
        id={id}
        rows={1}
        value={text}
        placeholder="user-1, user-2"
        onChange={(event) => {
          setText(event.target.value);
          onChange(splitList(event.target.value));
        }}
        {...describedBy(`${id}-errors`, errors)}
      />
      <FieldMessages id={`${id}-errors`} errors={errors} />
    </div>
  );
}
