import { describe, expect, it } from 'vitest';
import { canonical, diffTargeting, formatChanges } from './diff.js';
import type { Targeting } from './rollout.js';

const rule = (id: string, segment: string) => ({
  id,
  clauses: [{ op: 'inSegment' as const, values: [segment] }],
  serve: { variation: 'on' },
});

const base: Targeting = {
  enabled: false,
  offVariation: 'off',
  prerequisites: [],
  targets: [],
  rules: [rule('staff', 'staff'), rule('beta', 'beta')],
  fallthrough: { variation: 'off' },
};

describe('diffTargeting', () => {
  it('finds nothing between equal configs whatever their key order', () => {
    const reordered = JSON.parse(canonical(base)) as Targeting;
    expect(diffTargeting(base, reordered)).toEqual([]);
  });

  it('names rules by id: added, removed, changed and reordered', () => {
    const after: Targeting = {
      ...base,
      enabled: true,
      rules: [rule('beta', 'beta-2'), rule('eu', 'eu'), rule('staff', 'staff')],
    };
    expect(diffTargeting(base, after).map((change) => change.path)).toEqual([
      'enabled',
      'rules[id=beta]',
      'rules[id=eu]',
      'rules (order)',
    ]);
  });

  it('formats additions, removals and changes', () => {
    expect(
      formatChanges(
        [
          { path: 'enabled', before: false, after: true },
          { path: 'rules[id=eu]', after: { id: 'eu' } },
          { path: 'rules[id=old]', before: { id: 'old' } },
        ],
        '  ',
      ),
    ).toEqual([
      '  ~ enabled: false → true',
      '  + rules[id=eu]: {"id":"eu"}',
      '  - rules[id=old]: {"id":"old"}',
    ]);
  });
});
