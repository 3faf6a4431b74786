import { describe, expect, it } from 'vitest';
import { describePath, FieldErrors } from './field-errors';

describe('FieldErrors', () => {
  const errors = new FieldErrors([
    { path: 'rules[0].clauses[0].values[0]', message: 'nested repetition can backtrack catastrophically' },
    { path: 'rules[0].clauses[0].attribute', message: 'operator "matches" needs an attribute' },
    { path: 'fallthrough.rollout.variations', message: 'weights must sum to 100000 (100%), not 90000' },
    { path: 'key', message: 'must be 1–128 of a-z' },
  ]);

  it('finds the errors of a field and of the items inside it', () => {
    expect(errors.at('rules[0].clauses[0].values', 'value')).toEqual([
      'value 1: nested repetition can backtrack catastrophically',
    ]);
    expect(errors.at('rules[0].clauses[0].values')).toEqual([
      'item 1: nested repetition can backtrack catastrophically',
    ]);
    expect(errors.at('rules[0].clauses[0].attribute')).toEqual(['operator "matches" needs an attribute']);
    expect(errors.at('fallthrough.rollout.variations')).toHaveLength(1);
    expect(errors.at('key')).toEqual(['must be 1–128 of a-z']);
  });

  it('tells a field its own errors apart from those inside it', () => {
    expect(errors.exact('rules[0].clauses[0]')).toEqual([]);
    expect(errors.exact('key')).toEqual(['must be 1–128 of a-z']);
    expect(errors.at('rules[0].clauses[0]')).toContain('attribute: operator "matches" needs an attribute');
  });

  it('does not confuse fields whose names share a prefix', () => {
    expect(errors.at('rules[0].clauses[0].value')).toEqual([]);
    expect(errors.at('rules[1]')).toEqual([]);
    expect(errors.has('rules[0]')).toBe(true);
    expect(FieldErrors.none.at('key')).toEqual([]);
  });

  it('describes paths for people', () => {
    expect(describePath('rules[0].clauses[1].values[0]')).toBe('Rule 1 › Condition 2 › Value 1');
    expect(describePath('fallthrough.rollout.variations')).toBe('fallthrough › rollout › variations');
    expect(describePath('key')).toBe('key');
  });
});
