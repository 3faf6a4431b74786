import { describe, expect, it } from 'vitest';
import { describeOperation, describeServe, percentOf } from './describe-operations.js';

const staff = {
  id: 'staff',
  clauses: [{ attribute: 'groups', op: 'in' as const, values: ['staff'] }],
  serve: { variation: 'on' },
};
const rollout = {
  rollout: {
    variations: [
      { variation: 'on', weight: 12_500 },
      { variation: 'off', weight: 87_500 },
    ],
  },
};

describe('describeOperation', () => {
  it('says what each operation changes in words, with percentages', () => {
    expect(percentOf(5000)).toBe('5%');
    expect(percentOf(333)).toBe('0.333%');
    expect(describeServe(rollout)).toBe('rollout on 12.5% / off 87.5%');
    expect(describeOperation({ op: 'set', field: 'enabled', before: false, after: true })).toBe(
      'enabled: off → on',
    );
    expect(
      describeOperation({ op: 'set', field: 'fallthrough', before: { variation: 'off' }, after: rollout }),
    ).toBe('fallthrough: off → rollout on 12.5% / off 87.5%');
    expect(
      describeOperation({
        op: 'set',
        field: 'targets',
        before: [],
        after: [{ variation: 'on', keys: ['alice', 'bob'] }],
      }),
    ).toBe('targets: none → on: alice, bob');
    expect(describeOperation({ op: 'set', field: 'offVariation', before: 'off', after: 'on' })).toBe(
      'off variation: off → on',
    );
    expect(describeOperation({ op: 'addRule', rule: staff, afterRule: null })).toBe(
      'add rule "staff" (groups in staff → on)',
    );
    const beta = { id: 'beta', clauses: [{ op: 'inSegment' as const, values: ['beta'] }], serve: rollout };
    expect(describeOperation({ op: 'addRule', rule: beta, afterRule: 'staff' })).toBe(
      'add rule "beta" (in segment beta → rollout on 12.5% / off 87.5%) after "staff"',
    );
    expect(
      describeOperation({
        op: 'updateRule',
        ruleId: 'staff',
        before: staff,
        after: { ...staff, serve: { variation: 'off' } },
      }),
    ).toBe('change rule "staff": (groups in staff → on) → (groups in staff → off)');
    expect(describeOperation({ op: 'removeRule', ruleId: 'staff', before: staff })).toBe(
      'remove rule "staff" (groups in staff → on)',
    );
    expect(describeOperation({ op: 'moveRule', ruleId: 'staff', afterRule: null })).toBe(
      'move rule "staff" first',
    );
  });
});
