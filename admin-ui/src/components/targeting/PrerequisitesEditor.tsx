import { useEffect, useId, useState } from 'react';
import { useFlags } from '../../app/flags/flagsApi';
import { valueText, variationLabel } from '../../lib/variation-colors';
import type { Flag, Prerequisite, Variation } from '../../types';
import { describedBy, FieldMessages } from '../common/Field';
import { Icon } from '../common/Icon';
import { useExactFieldErrors, useFieldErrors } from './errors-context';

/** The variation a new prerequisite on `flag` asks for: `true` for a boolean flag, else its first. */
export function defaultPrerequisiteVariation(flag: Pick<Flag, 'variations'> | undefined): string {
  const variations = flag?.variations ?? [];
  return (variations.find((v) => v.value === true) ?? variations[0])?.id ?? '';
}

/**
 * A config's prerequisites: other flags, each of which must serve a given variation in this
 * environment, or this flag serves its off variation. The flag list loads only once there is a
 * prerequisite to show or to add.
 */
export function PrerequisitesEditor({
  flagKey,
  prerequisites,
  onChange,
}: {
  /** The flag being edited: it cannot be its own prerequisite. */
  flagKey: string;
  prerequisites: Prerequisite[];
  onChange: (prerequisites: Prerequisite[]) => void;
}) {
  // Asked to add one before the flags were loaded: added once they are.
  const [adding, setAdding] = useState(false);
  const flags = useFlags(prerequisites.length > 0 || adding);
  const all = flags.data ?? [];
  const candidates = all.filter((f) => f.key !== flagKey && !f.archived);
  const listErrors = useExactFieldErrors('prerequisites');
  const set = (index: number, next: Prerequisite) =>
    onChange(prerequisites.map((p, i) => (i === index ? next : p)));
  const firstFree = candidates.find((f) => !prerequisites.some((p) => p.flag === f.key));
  const add = () =>
    onChange([
      ...prerequisites,
      { flag: firstFree?.key ?? '', variation: defaultPrerequisiteVariation(firstFree) },
    ]);
  useEffect(() => {
    if (!adding || flags.isPending) return;
    setAdding(false);
    add();
  });

  return (
    <div className="prerequisites">
      {prerequisites.length === 0 && <p className="muted">None: this flag does not depend on another.</p>}
      {prerequisites.map((prerequisite, index) => (
        <PrerequisiteRow
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional; a flag may be chosen twice while editing.
          key={index}
          index={index}
          prerequisite={prerequisite}
          options={candidates}
          flag={all.find((f) => f.key === prerequisite.flag)}
          onChange={(next) => set(index, next)}
          onRemove={() => onChange(prerequisites.filter((_, i) => i !== index))}
        />
      ))}
      <FieldMessages id={`${flagKey}-prerequisite-errors`} errors={listErrors} />
      <button
        type="button"
        className="button"
        disabled={adding || (flags.isSuccess && !firstFree)}
        onClick={() => (flags.isSuccess ? add() : setAdding(true))}
      >
        + Add prerequisite
      </button>
    </div>
  );
}

function PrerequisiteRow({
  index,
  prerequisite,
  options,
  flag,
  onChange,
  onRemove,
}: {
  index: number;
  prerequisite: Prerequisite;
  options: readonly Flag[];
  flag: Flag | undefined;
  onChange: (prerequisite: Prerequisite) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const path = `prerequisites[${index}]`;
  const title = `Prerequisite ${index + 1}`;
  const flagErrors = useFieldErrors(`${path}.flag`);
  const variationErrors = useFieldErrors(`${path}.variation`);
  const rowErrors = useExactFieldErrors(path);
  const variations: readonly Variation[] = flag?.variations ?? [];
  const listed = options.some((o) => o.key === prerequisite.flag);
  return (
    <fieldset className="plain prerequisite card-inner">
      <legend className="visually-hidden">{title}</legend>
      <div className="field field-inline">
        <label htmlFor={`${id}-flag`}>{`${title}: flag`}</label>
        <select
          id={`${id}-flag`}
          value={prerequisite.flag}
          onChange={(event) => {
            const next = options.find((o) => o.key === event.target.value);
            onChange({ flag: event.target.value, variation: defaultPrerequisiteVariation(next) });
          }}
          {...describedBy(`${id}-flag-errors`, flagErrors)}
        >
          {!listed && <option value={prerequisite.flag}>{prerequisite.flag || 'Choose a flag'}</option>}
          {options.map((o) => (
            <option key={o.key} value={o.key}>
              {o.name === o.key ? o.key : `${o.name} (${o.key})`}
            </option>
          ))}
        </select>
      </div>
      <div className="field field-inline">
        <label htmlFor={`${id}-variation`}>{`${title}: must serve`}</label>
        <select
          id={`${id}-variation`}
          value={prerequisite.variation}
          onChange={(event) => onChange({ ...prerequisite, variation: event.target.value })}
          {...describedBy(`${id}-variation-errors`, variationErrors)}
        >
          {!variations.some((v) => v.id === prerequisite.variation) && (
            <option value={prerequisite.variation}>{prerequisite.variation}</option>
          )}
          {variations.map((v) => (
            <option key={v.id} value={v.id}>
              {variationLabel(variations, v.id)} ({valueText(v.value)})
            </option>
          ))}
        </select>
      </div>
      <button
        type="button"
        className="icon-button danger"
        aria-label={`Remove ${title.toLowerCase()}`}
        onClick={onRemove}
      >
        <Icon name="trash" />
      </button>
      <FieldMessages id={`${id}-flag-errors`} errors={[...flagErrors, ...rowErrors]} />
      <FieldMessages id={`${id}-variation-errors`} errors={variationErrors} />
    </fieldset>
  );
}
