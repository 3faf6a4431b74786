import type { ConfigOperation, FlagConfig } from './wire.js';

type Rule = FlagConfig['rules'][number];
type Clause = Rule['clauses'][number];

/**
 * A rollout weight (thousandths of a percent) as a percentage.
 *
 * @example
 * percentOf(12_500); // '12.5%'
 */
export function percentOf(weight: number): string {
  return `${Number((weight / 1000).toFixed(3))}%`;
}

/**
 * What a rule or the fallthrough serves, in words.
 *
 * @example
 * describeServe({ rollout: { variations: [{ variation: 'on', weight: 5000 }, { variation: 'off', weight: 95000 }] } });
 * // 'rollout on 5% / off 95%'
 */
export function describeServe(serve: FlagConfig['fallthrough']): string {
  if ('variation' in serve) return serve.variation;
  const parts = serve.rollout.variations.map((v) => `${v.variation} ${percentOf(v.weight)}`);
  const by = serve.rollout.bucketBy ? ` by ${serve.rollout.bucketBy}` : '';
  return `rollout${by} ${parts.join(' / ')}`;
}

function describeClause(clause: Clause): string {
  const not = clause.negate ? 'not ' : '';
  if (clause.op === 'inSegment') return `${not}in segment ${clause.values.join(', ')}`;
  return `${clause.attribute ?? 'key'} ${not}${clause.op} ${clause.values.join(', ')}`;
}

/** What a rule matches and serves: `(groups in staff → on)`. */
function ruleBody(rule: Rule): string {
  return `(${rule.clauses.map(describeClause).join(' and ')} → ${describeServe(rule.serve)})`;
}

/** A rule in words: `"staff" (groups in staff → on)`. */
function describeRule(rule: Rule): string {
  return `"${rule.id}" ${ruleBody(rule)}`;
}

function place(afterRule: string | null): string {
  return afterRule === null ? 'first' : `after "${afterRule}"`;
}

/** A config field's value in words. */
function describeValue(field: string, value: unknown): string {
  switch (field) {
    case 'enabled':
      return value ? 'on' : 'off';
    case 'fallthrough':
      return describeServe(value as FlagConfig['fallthrough']);
    case 'prerequisites': {
      const list = (value as FlagConfig['prerequisites'] | undefined) ?? [];
      return list.length === 0 ? 'none' : list.map((p) => `${p.flag} is ${p.variation}`).join(', ');
    }
    case 'targets': {
      const list = (value as FlagConfig['targets'] | undefined) ?? [];
      return list.length === 0 ? 'none' : list.map((t) => `${t.variation}: ${t.keys.join(', ')}`).join('; ');
    }
    default:
      return String(value);
  }
}

const FIELD_NAMES: Record<string, string> = { offVariation: 'off variation' };

/**
 * One change of a config or toggle request, in words.
 *
 * @example
 * describeOperation({ op: 'set', field: 'enabled', before: false, after: true }); // 'enabled: off → on'
 * describeOperation({ op: 'addRule', rule, afterRule: null }); // 'add rule "staff" (groups in staff → on)'
 */
export function describeOperation(op: ConfigOperation): string {
  switch (op.op) {
    case 'set':
      return `${FIELD_NAMES[op.field] ?? op.field}: ${describeValue(op.field, op.before)} → ${describeValue(op.field, op.after)}`;
    case 'addRule':
      return `add rule ${describeRule(op.rule)}${op.afterRule === null ? '' : ` ${place(op.afterRule)}`}`;
    case 'updateRule':
      return `change rule "${op.ruleId}": ${ruleBody(op.before)} → ${ruleBody(op.after)}`;
    case 'removeRule':
      return `remove rule ${describeRule(op.before)}`;
    case 'moveRule':
      return `move rule "${op.ruleId}" ${place(op.afterRule)}`;
  }
}
