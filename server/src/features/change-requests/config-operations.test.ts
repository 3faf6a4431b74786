import type { Rule } from '@ringflag/sdk-node/engine';
import { describe, expect, it } from 'vitest';
import type { ConfigOperation } from './change-request.js';
import { applyOperations, diffConfig, mergeOperations, type Targeting } from './config-operations.js';

const rule = (id: string, variation = 'on'): Rule => ({
  id,
  clauses: [{ attribute: 'groups', op: 'in', values: [id] }],
  serve: { variation },
});

const base: Targeting = {
  enabled: false,
  offVariation: 'off',
  prerequisites: [],
  targets: [],
  rules: ['a', 'b', 'c', 'd'].map((id) => rule(id)),
  fallthrough: { variation: 'off' },
};

const withRules = (ids: string[], changed: Record<string, string> = {}): Targeting => ({
  ...base,
  rules: ids.map((id) => rule(id, changed[id])),
});

describe('config operations', () => {
  it('turns one config into another, for every reordering of rules with additions and removals', () => {
    const orders = [
      ['a', 'b', 'c', 'd'],
      ['d', 'c', 'b', 'a'],
      ['b', 'd', 'a', 'c'],
      ['c', 'a', 'b'],
      ['x', 'a', 'y', 'd', 'b'],
      ['d', 'x'],
      [],
      ['y', 'x'],
    ];
    for (const order of orders) {
      const after = { ...withRules(order, { b: 'off' }), enabled: true, fallthrough: { variation: 'on' } };
      const operations = diffConfig(base, after);
      expect(applyOperations(base, operations), order.join()).toEqual({ config: after, conflicts: [] });
    }
    expect(diffConfig(base, base)).toEqual([]);
    expect(diffConfig(base, withRules(['b', 'a', 'c', 'd']))).toEqual([
      { op: 'moveRule', ruleId: 'b', afterRule: null },
    ]);
  });

  it('keeps what others changed meanwhile, and conflicts only on what moved underneath', () => {
    const operations = diffConfig(base, {
      ...withRules(['a', 'x', 'b', 'c', 'd'], { c: 'off' }),
      enabled: true,
    });
    // Someone else changed the fallthrough and removed rule d.
    const moved = { ...withRules(['a', 'b', 'c']), fallthrough: { variation: 'on' } };
    expect(applyOperations(moved, operations)).toEqual({
      config: {
        ...withRules(['a', 'x', 'b', 'c'], { c: 'off' }),
        enabled: true,
        fallthrough: { variation: 'on' },
      },
      conflicts: [],
    });
    // Someone else switched it on already: no conflict either.
    expect(applyOperations({ ...base, enabled: true }, operations).conflicts).toEqual([]);
    // Someone else changed rule c, removed it, or added another rule x.
    expect(applyOperations(withRules(['a', 'b', 'c', 'd'], { c: 'other' }), operations).conflicts).toEqual([
      { path: 'rules.c', message: expect.any(String) },
    ]);
    expect(applyOperations(withRules(['a', 'b', 'd']), operations).conflicts).toEqual([
      { path: 'rules.c', message: 'removed since the request was made' },
    ]);
    expect(applyOperations(withRules(['x', 'a', 'b', 'c', 'd'], { x: 'off' }), operations).conflicts).toEqual(
      [{ path: 'rules.x', message: expect.any(String) }],
    );
    const fallthrough = diffConfig(base, { ...base, fallthrough: { variation: 'on' } });
    expect(applyOperations({ ...base, fallthrough: { variation: 'maybe' } }, fallthrough).conflicts).toEqual([
      { path: 'fallthrough', message: expect.any(String) },
    ]);
    // A rule removed already stays removed; one that changed since conflicts.
    const remove = diffConfig(base, withRules(['a', 'b', 'c']));
    expect(applyOperations(withRules(['a', 'b']), remove)).toEqual({
      config: withRules(['a', 'b']),
      conflicts: [],
    });
    expect(applyOperations(withRules(['a', 'd'], { d: 'off' }), remove).conflicts).toEqual([
      { path: 'rules.d', message: expect.any(String) },
    ]);
    // A rule whose predecessor is gone goes last.
    const add = diffConfig(base, withRules(['a', 'b', 'x', 'c', 'd']));
    expect(applyOperations(withRules(['a', 'c']), add).config).toEqual(withRules(['a', 'c', 'x']));
  });

  it('merges a later write: same field or rule replaced keeping the first before, back-to-live dropped', () => {
    const on: ConfigOperation = { op: 'set', field: 'enabled', before: false, after: true };
    const off: ConfigOperation = { op: 'set', field: 'enabled', before: false, after: false };
    expect(mergeOperations([on], [off], base)).toEqual([]);
    expect(mergeOperations([], [off], base)).toEqual([]);

    const first = diffConfig(base, { ...base, fallthrough: { variation: 'on' } });
    const moved = { ...base, fallthrough: { variation: 'maybe' } };
    const second = diffConfig(moved, { ...moved, fallthrough: { rollout: { variations: [] } } });
    expect(mergeOperations([...first, on], second, moved)).toEqual([
      {
        op: 'set',
        field: 'fallthrough',
        before: { variation: 'off' },
        after: { rollout: { variations: [] } },
      },
      on,
    ]);

    const added = diffConfig(base, withRules(['x', 'a', 'b', 'c', 'd']));
    const replaced = diffConfig(base, withRules(['a', 'x', 'b', 'c', 'd'], { x: 'off' }));
    expect(mergeOperations(added, replaced, base)).toEqual([
      { op: 'addRule', rule: rule('x', 'off'), afterRule: 'a' },
    ]);
    const changed = diffConfig(base, withRules(['a', 'b', 'c', 'd'], { b: 'off' }));
    const changedAgain = diffConfig(
      withRules(['a', 'b', 'c', 'd'], { b: 'other' }),
      withRules(['a', 'b', 'c', 'd'], { b: 'third' }),
    );
    expect(mergeOperations(changed, changedAgain, base)).toEqual([
      { op: 'updateRule', ruleId: 'b', before: rule('b'), after: rule('b', 'third') },
    ]);
    // Changing a rule back as it is live drops the change; removing a moved rule drops the move.
    expect(
      mergeOperations(changed, diffConfig(withRules(['a', 'b', 'c', 'd'], { b: 'off' }), base), base),
    ).toEqual([]);
    const move = diffConfig(base, withRules(['b', 'a', 'c', 'd']));
    expect(mergeOperations(move, diffConfig(base, withRules(['a', 'c', 'd'])), base)).toEqual([
      { op: 'removeRule', ruleId: 'b', before: rule('b') },
    ]);
  });
});
