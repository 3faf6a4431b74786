import { useId } from 'react';
import type { Clause, Rule, Serve, Variation } from '../../types';
import { describedBy, FieldMessages } from '../common/Field';
import { Icon } from '../common/Icon';
import { ClauseEditor } from './ClauseEditor';
import { useExactFieldErrors, useFieldErrors } from './errors-context';
import { ServeEditor } from './ServeEditor';

/** A rule id the engine accepts, unique enough within one flag. */
export function newRuleId(random: () => number = Math.random): string {
  return `rule-${Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0')}`;
}

export const newClause = (): Clause => ({ attribute: 'groups', op: 'in', values: [] });

/** Moves item `from` by `delta` places. */
export function move<T>(items: readonly T[], from: number, delta: number): T[] {
  const to = from + delta;
  if (to < 0 || to >= items.length) return [...items];
  const next = [...items];
  const [item] = next.splice(from, 1);
  if (item !== undefined) next.splice(to, 0, item);
  return next;
}

/** The ordered targeting rules of a flag: the first rule whose conditions all match serves. */
export function RulesEditor({
  rules,
  variations,
  offVariation,
  segments,
  onChange,
}: {
  rules: Rule[];
  variations: readonly Variation[];
  offVariation: string;
  segments: readonly { key: string; name: string }[];
  onChange: (rules: Rule[]) => void;
}) {
  const set = (index: number, rule: Rule) => onChange(rules.map((r, i) => (i === index ? rule : r)));
  const firstOn = variations.find((v) => v.id !== offVariation)?.id ?? variations[0]?.id ?? '';
  return (
    <div className="rules">
      {rules.length === 0 && (
        <p className="muted">
          No rules: everyone who is not individually targeted gets the default rule below.
        </p>
      )}
      {rules.map((rule, index) => (
        <RuleCard
          key={rule.id}
          rule={rule}
          index={index}
          count={rules.length}
          variations={variations}
          segments={segments}
          onChange={(next) => set(index, next)}
          onMove={(delta) => onChange(move(rules, index, delta))}
          onRemove={() => onChange(rules.filter((_, i) => i !== index))}
        />
      ))}
      <button
        type="button"
        className="button"
        onClick={() =>
          onChange([...rules, { id: newRuleId(), clauses: [newClause()], serve: { variation: firstOn } }])
        }
      >
        + Add rule
      </button>
    </div>
  );
}

function RuleCard({
  rule,
  index,
  count,
  variations,
  segments,
  onChange,
  onMove,
  onRemove,
}: {
  rule: Rule;
  index: number;
  count: number;
  variations: readonly Variation[];
  segments: readonly { key: string; name: string }[];
  onChange: (rule: Rule) => void;
  onMove: (delta: number) => void;
  onRemove: () => void;
}) {
  const id = useId();
  const path = `rules[${index}]`;
  const title = `Rule ${index + 1}`;
  const clauseErrors = useExactFieldErrors(`${path}.clauses`);
  const nameErrors = useFieldErrors(`${path}.name`);
  const setClause = (i: number, clause: Clause) =>
    onChange({ ...rule, clauses: rule.clauses.map((c, j) => (j === i ? clause : c)) });
  return (
    <section className="rule card-inner" aria-labelledby={`${id}-title`}>
      <header className="rule-header">
        <h4 id={`${id}-title`}>{title}</h4>
        <label htmlFor={`${id}-name`} className="visually-hidden">{`${title}: name`}</label>
        <input
          id={`${id}-name`}
          className="rule-name"
          value={rule.name ?? ''}
          placeholder="Name this rule (optional)"
          onChange={(event) => {
            const { name: _name, ...rest } = rule;
            onChange(event.target.value === '' ? rest : { ...rest, name: event.target.value });
          }}
          {...describedBy(`${id}-name-errors`, nameErrors)}
        />
        <div className="rule-actions">
          <button
            type="button"
            className="icon-button"
            aria-label={`Move ${title.toLowerCase()} up`}
            disabled={index === 0}
            onClick={() => onMove(-1)}
          >
            <Icon name="up" />
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={`Move ${title.toLowerCase()} down`}
            disabled={index === count - 1}
            onClick={() => onMove(1)}
          >
            <Icon name="down" />
          </button>
          <button
            type="button"
            className="icon-button danger"
            aria-label={`Delete ${title.toLowerCase()}`}
            onClick={onRemove}
          >
            <Icon name="trash" />
          </button>
        </div>
      </header>
      <FieldMessages id={`${id}-name-errors`} errors={nameErrors} />
      <div className="clauses">
        {rule.clauses.map((clause, i) => (
          <ClauseEditor
            // biome-ignore lint/suspicious/noArrayIndexKey: clauses have no identity; the editor follows its props.
            key={i}
            clause={clause}
            path={`${path}.clauses[${i}]`}
            label={i === 0 ? 'If' : 'and'}
            name={`${title}, condition ${i + 1}`}
            segments={segments}
            allowSegments
            onChange={(next) => setClause(i, next)}
            onRemove={
              rule.clauses.length > 1
                ? () => onChange({ ...rule, clauses: rule.clauses.filter((_, j) => j !== i) })
                : undefined
            }
          />
        ))}
        <FieldMessages id={`${id}-clause-errors`} errors={clauseErrors} />
        <button
          type="button"
          className="button button-small button-ghost"
          onClick={() => onChange({ ...rule, clauses: [...rule.clauses, newClause()] })}
        >
          + Add condition
        </button>
      </div>
      <ServeEditor
        serve={rule.serve}
        variations={variations}
        path={`${path}.serve`}
        label={`${title} serves`}
        onChange={(serve: Serve) => onChange({ ...rule, serve })}
      />
    </section>
  );
}
