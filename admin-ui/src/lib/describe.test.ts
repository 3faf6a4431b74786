import { describe, expect, it } from 'vitest';
import type { ConfigOperation, FlagConfig, Rule, Variation } from '../types';
import {
  describeChanges,
  describeClause,
  describeConfigChange,
  describeConflict,
  describeOperation,
  describeOperations,
  describeReleaseStage,
  describeServe,
  listText,
} from './describe';
import { configOperations } from './diff';

const variations: Variation[] = [
  { id: 'off', value: false },
  { id: 'on', value: true },
];
const ctx = { variations };
const rollout = (on: number) => ({
  rollout: {
    variations: [
      { variation: 'on', weight: on },
      { variation: 'off', weight: 100_000 - on },
    ],
  },
});
const beta: Rule = {
  id: 'r-beta',
  name: 'Beta testers',
  clauses: [
    { attribute: 'groups', op: 'in', values: ['staff', 'beta'] },
    { attribute: 'country', op: 'in', values: ['DE'], negate: true },
  ],
  serve: { variation: 'on' },
};
const staff: Rule = {
  id: 'r-staff',
  clauses: [{ op: 'inSegment', values: ['staff'] }],
  serve: { variation: 'on' },
};
const config: FlagConfig = {
  key: 'new-checkout',
  version: 3,
  kind: 'boolean',
  variations,
  enabled: false,
  offVariation: 'off',
  prerequisites: [],
  targets: [],
  rules: [staff],
  fallthrough: { variation: 'off' },
  clientSide: false,
};

describe('clauses and serves in words', () => {
  it('says conditions as people say them, negations included', () => {
    expect(describeClause(beta.clauses[0] as Rule['clauses'][number])).toBe('groups is one of staff, beta');
    expect(describeClause({ attribute: 'country', op: 'in', values: ['DE'], negate: true })).toBe(
      'country is not DE',
    );
    expect(describeClause({ attribute: 'country', op: 'in', values: ['DE', 'AT'], negate: true })).toBe(
      'country is not one of DE, AT',
    );
    expect(describeClause({ attribute: 'email', op: 'endsWith', values: ['@a.com', '@b.com'] })).toBe(
      'email ends with @a.com or @b.com',
    );
    expect(describeClause({ attribute: 'email', op: 'contains', values: ['x'], negate: true })).toBe(
      'email does not contain x',
    );
    expect(describeClause({ op: 'inSegment', values: ['staff'], negate: true })).toBe(
      'context is not in segment staff',
    );
    expect(describeClause({ attribute: 'age', op: 'gte', values: [18] })).toBe('age ≥ 18');
  });

  it('names long lists briefly instead of cutting them off', () => {
    const keys = Array.from({ length: 13 }, (_, i) => `u${i + 1}`);
    expect(listText(keys)).toBe('u1, u2, u3, u4, u5, u6, u7, u8, u9, u10 and 3 more');
    expect(listText([])).toBe('none');
  });

  it('shows rollout weights as percentages, never as raw weights', () => {
    expect(describeServe({ variation: 'on' }, variations)).toBe('serve on');
    expect(describeServe(rollout(5_000), variations)).toBe('rollout: on 5%, off 95%');
    expect(describeServe(rollout(12_500), variations)).toBe('rollout: on 12.5%, off 87.5%');
    expect(describeServe(rollout(333), variations)).toBe('rollout: on 0.333%, off 99.667%');
    expect(describeServe(rollout(100_000), variations)).toBe('rollout: on 100%');
    expect(describeServe(rollout(5_000), variations)).not.toMatch(/5000|95000/);
  });
});

describe('operations of a change request in words', () => {
  const say = (op: ConfigOperation) => describeOperation(op, { ...ctx, rules: [beta, staff] });

  it('describes set operations: on/off, off variation, default rule, targets, prerequisites', () => {
    expect(say({ op: 'set', field: 'enabled', before: false, after: true })).toBe('Turn on');
    expect(say({ op: 'set', field: 'enabled', before: true, after: false })).toBe('Turn off');
    expect(say({ op: 'set', field: 'offVariation', before: 'off', after: 'on' })).toBe(
      'When off, serve on (was off)',
    );
    expect(
      say({ op: 'set', field: 'fallthrough', before: { variation: 'off' }, after: rollout(5_000) }),
    ).toBe('Default rule: serve off → rollout: on 5%, off 95%');
    expect(
      say({
        op: 'set',
        field: 'targets',
        before: [{ variation: 'off', keys: ['carol'] }],
        after: [{ variation: 'on', keys: ['alice', 'bob'] }],
      }),
    ).toBe('Individual targets: remove carol from off; add alice, bob to on');
    expect(
      say({
        op: 'set',
        field: 'prerequisites',
        before: [{ flag: 'legacy', variation: 'off' }],
        after: [{ flag: 'payments-v2', variation: 'on' }],
      }),
    ).toBe('Prerequisites: add payments-v2 must serve on; remove legacy must serve off');
  });

  it('describes rules by name, falling back to the id, with their clauses and serve', () => {
    expect(say({ op: 'addRule', rule: beta, afterRule: null })).toBe(
      'Add rule “Beta testers” at the top: if groups is one of staff, beta and country is not DE → serve on',
    );
    expect(say({ op: 'addRule', rule: beta, afterRule: 'r-staff' })).toMatch(
      /^Add rule “Beta testers” after rule “r-staff”: /,
    );
    expect(say({ op: 'removeRule', ruleId: 'r-staff', before: staff })).toBe(
      'Remove rule “r-staff” (if context is in segment staff → serve on)',
    );
    expect(say({ op: 'moveRule', ruleId: 'r-beta', afterRule: null })).toBe(
      'Move rule “Beta testers” to the top',
    );
    expect(say({ op: 'moveRule', ruleId: 'r-staff', afterRule: 'r-beta' })).toBe(
      'Move rule “r-staff” after rule “Beta testers”',
    );
    expect(
      say({
        op: 'updateRule',
        ruleId: 'r-beta',
        before: beta,
        after: {
          ...beta,
          clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
          serve: rollout(25_000),
        },
      }),
    ).toBe(
      'Change rule “Beta testers”: if groups is one of staff, beta and country is not DE → if groups is beta; serve on → rollout: on 25%, off 75%',
    );
  });

  it('names a rule an earlier step of the same request added', () => {
    expect(
      describeOperations(
        [
          { op: 'addRule', rule: beta, afterRule: null },
          { op: 'moveRule', ruleId: 'r-beta', afterRule: 'r-staff' },
        ],
        ctx,
      ),
    ).toEqual([
      expect.stringMatching(/^Add rule “Beta testers”/),
      'Move rule “Beta testers” after rule “r-staff”',
    ]);
  });

  it('names the field or rule of each conflict', () => {
    expect(describeConflict({ path: 'fallthrough', message: 'changed meanwhile' })).toBe(
      'Default rule: changed meanwhile',
    );
    expect(describeConflict({ path: 'rules.r-beta', message: 'was removed' }, [beta])).toBe(
      'Rule “Beta testers”: was removed',
    );
  });
});

describe('config differences as steps', () => {
  it('finds fields set and rules added, changed, removed and moved', () => {
    const other: Rule = { id: 'r-other', clauses: [], serve: { variation: 'off' } };
    const before = { ...config, rules: [staff, beta, other] };
    const changedBeta = { ...beta, serve: { variation: 'off' } };
    const after = {
      ...config,
      enabled: true,
      rules: [{ ...changedBeta }, staff, { id: 'r-new', clauses: [], serve: { variation: 'on' } }],
    };
    expect(configOperations(before, after)).toEqual([
      { op: 'set', field: 'enabled', before: false, after: true },
      { op: 'removeRule', ruleId: 'r-other', before: other },
      { op: 'updateRule', ruleId: 'r-beta', before: beta, after: changedBeta },
      { op: 'addRule', rule: after.rules[2], afterRule: 'r-staff' },
      { op: 'moveRule', ruleId: 'r-staff', afterRule: 'r-beta' },
    ]);
  });

  it('describes a config change and an audit event in words, with percentages', () => {
    const after = { ...config, enabled: true, fallthrough: rollout(5_000), rules: [staff, beta] };
    const lines = describeConfigChange(config, after);
    expect(lines).toEqual([
      'Turn on',
      'Default rule: serve off → rollout: on 5%, off 95%',
      expect.stringMatching(/^Add rule “Beta testers” after rule “r-staff”: if groups is one of staff, beta/),
    ]);
    expect(describeChanges(config, after)).toEqual(lines);
    expect(lines.join('\n')).not.toMatch(/5000|weight|\{/);
  });

  it('describes segments, flags, change request steps and state moves', () => {
    const segment = { key: 'vip', name: 'VIPs', description: '', included: ['u1'], excluded: [], rules: [] };
    expect(
      describeChanges(segment, {
        ...segment,
        included: ['u1', 'u2'],
        rules: [{ clauses: [{ attribute: 'plan', op: 'in', values: ['gold'] }] }],
      }),
    ).toEqual(['Included: add u2', 'Add rule 1: if plan is gold']);

    const flag = { key: 'f', name: 'F', description: '', tags: ['a'], variations, temporary: true };
    expect(
      describeChanges(flag, {
        ...flag,
        name: 'Feature',
        tags: ['b'],
        variations: [...variations, { id: 'beta', value: 'b', name: 'Beta' }],
      }),
    ).toEqual(['Name: “F” → “Feature”', 'Tags: add b; remove a', 'Add variation beta “Beta” = "b"']);

    const earlier: ConfigOperation[] = [{ op: 'set', field: 'enabled', before: false, after: true }];
    expect(
      describeChanges(earlier, [
        ...earlier,
        { op: 'set', field: 'fallthrough', before: null, after: rollout(5_000) },
      ]),
    ).toEqual(['Default rule: rollout: on 5%, off 95%']);
    expect(describeChanges(earlier, [])).toEqual(['Dropped: Turn on']);

    expect(describeChanges({ state: 'pending' }, { state: 'applied' })).toEqual(['State: pending → applied']);
  });
});

describe('release stages', () => {
  const plan = {
    stages: [
      { name: 'staff', segments: ['staff'], percentage: 0 },
      { name: 'canary', percentage: 5 },
      { name: 'half', percentage: 50 },
      { name: 'everyone', percentage: 100 },
    ],
  };

  it('counts stages from 1 and shows their reach', () => {
    expect(describeReleaseStage(plan, 1)).toBe('stage 2 of 4: canary — 5%');
    expect(describeReleaseStage(plan, 0)).toBe('stage 1 of 4: staff — segment staff');
    expect(describeReleaseStage(plan, 3)).toBe('stage 4 of 4: everyone — 100%');
  });
});
