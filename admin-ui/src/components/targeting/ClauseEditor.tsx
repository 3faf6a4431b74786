import { useId, useState } from 'react';
import { splitList } from '../../lib/context-form';
import { OP_LABELS } from '../../lib/describe';
import { CLAUSE_OPS, type Clause, type ClauseOp, type ClauseValue } from '../../types';
import { describedBy, FieldMessages } from '../common/Field';
import { Icon } from '../common/Icon';
import { useFieldErrors } from './errors-context';

const NUMERIC: ReadonlySet<ClauseOp> = new Set(['lt', 'lte', 'gt', 'gte']);
const COMMON_ATTRIBUTES = ['key', 'groups', 'email', 'country', 'plan', 'appVersion', 'createdAt'];

/** Clause values from the textarea: numbers for numeric operators, one regex per line. */
export function parseValues(op: ClauseOp, text: string): ClauseValue[] {
  const items = splitList(text, op !== 'matches');
  if (NUMERIC.has(op) || op === 'before' || op === 'after') {
    return items.map((item) => (/^-?\d+(\.\d+)?$/.test(item) ? Number(item) : item));
  }
  return items;
}

/**
 * One condition: attribute, operator, values (or segments), negate. Errors of
 * `<path>.attribute|op|values` from the server appear under the input they concern.
 */
export function ClauseEditor({
  clause,
  path,
  label,
  name,
  segments,
  allowSegments,
  onChange,
  onRemove,
}: {
  clause: Clause;
  path: string;
  /** Shown before the condition: "If", "and". */
  label: string;
  /** Names the inputs for assistive technology: "Rule 2, condition 1". */
  name: string;
  segments: readonly { key: string; name: string }[];
  allowSegments: boolean;
  onChange: (clause: Clause) => void;
  onRemove?: () => void;
}) {
  const id = useId();
  const [text, setText] = useState(() => clause.values.join('\n'));
  // The text is the source while typing; when the clause changes from outside (discard, reorder,
  // removal above), show its values instead.
  if (
    clause.op !== 'inSegment' &&
    JSON.stringify(parseValues(clause.op, text)) !== JSON.stringify(clause.values)
  ) {
    setText(clause.values.join('\n'));
  }
  const attributeErrors = useFieldErrors(`${path}.attribute`);
  const opErrors = useFieldErrors(`${path}.op`);
  const valueErrors = useFieldErrors(`${path}.values`, clause.op === 'inSegment' ? 'segment' : 'value');
  const segment = clause.op === 'inSegment';
  const ops = CLAUSE_OPS.filter((op) => allowSegments || op !== 'inSegment');

  const setOp = (op: ClauseOp) => {
    if (op === 'inSegment') {
      const { attribute: _attribute, ...rest } = clause;
      onChange({ ...rest, op, values: [] });
    } else {
      onChange({ ...clause, op, attribute: clause.attribute ?? 'key', values: parseValues(op, text) });
    }
  };

  return (
    <div className="clause" data-path={path}>
      <span className="clause-label" aria-hidden="true">
        {label}
      </span>
      {!segment && (
        <div className="clause-attribute">
          <label htmlFor={`${id}-attribute`} className="visually-hidden">
            {`${name}: attribute`}
          </label>
          <input
            id={`${id}-attribute`}
            list={`${id}-attributes`}
            value={clause.attribute ?? ''}
            placeholder="attribute"
            onChange={(event) => onChange({ ...clause, attribute: event.target.value })}
            {...describedBy(`${id}-attribute-errors`, attributeErrors)}
          />
          <datalist id={`${id}-attributes`}>
            {COMMON_ATTRIBUTES.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
          <FieldMessages id={`${id}-attribute-errors`} errors={attributeErrors} />
        </div>
      )}
      <label className="negate">
        <input
          type="checkbox"
          checked={clause.negate === true}
          onChange={(event) => {
            const { negate: _negate, ...rest } = clause;
            onChange(event.target.checked ? { ...rest, negate: true } : rest);
          }}
        />
        not
      </label>
      <div className="clause-op">
        <label htmlFor={`${id}-op`} className="visually-hidden">
          {`${name}: operator`}
        </label>
        <select
          id={`${id}-op`}
          value={clause.op}
          onChange={(event) => setOp(event.target.value as ClauseOp)}
          {...describedBy(`${id}-op-errors`, opErrors)}
        >
          {ops.map((op) => (
            <option key={op} value={op}>
              {OP_LABELS[op]}
            </option>
          ))}
        </select>
        <FieldMessages id={`${id}-op-errors`} errors={opErrors} />
      </div>
      <div className="clause-values">
        {segment ? (
          <fieldset className="segment-picker" {...describedBy(`${id}-values-errors`, valueErrors)}>
            <legend className="visually-hidden">{`${name}: segments`}</legend>
            {segments.length === 0 && (
              <span className="muted">No segments yet: create one under Segments.</span>
            )}
            {segments.map((s) => (
              <label key={s.key} className="chip-check">
                <input
                  type="checkbox"
                  checked={clause.values.includes(s.key)}
                  onChange={(event) =>
                    onChange({
                      ...clause,
                      values: event.target.checked
                        ? [...clause.values, s.key]
                        : clause.values.filter((value) => value !== s.key),
                    })
                  }
                />
                {s.name || s.key}
              </label>
            ))}
          </fieldset>
        ) : (
          <>
            <label htmlFor={`${id}-values`} className="visually-hidden">
              {`${name}: values`}
            </label>
            <textarea
              id={`${id}-values`}
              rows={Math.min(4, Math.max(1, text.split('\n').length))}
              value={text}
              placeholder={
                clause.op === 'matches' ? 'one regex per line' : 'values, one per line or comma-separated'
              }
              onChange={(event) => {
                setText(event.target.value);
                onChange({ ...clause, values: parseValues(clause.op, event.target.value) });
              }}
              {...describedBy(`${id}-values-errors`, valueErrors)}
            />
          </>
        )}
        <FieldMessages id={`${id}-values-errors`} errors={valueErrors} />
      </div>
      {onRemove && (
        <button
          type="button"
          className="icon-button"
          aria-label={`Remove ${name.toLowerCase()}`}
          onClick={onRemove}
        >
          <Icon name="close" size={14} />
        </button>
      )}
    </div>
  );
}
