import { describe, expect, it } from 'vitest';
import { diffJson, preview } from './diff';

describe('diffJson', () => {
  it('lists changed leaves with their paths', () => {
    expect(diffJson({ enabled: false, version: 1 }, { enabled: true, version: 2 })).toEqual([
      { path: 'enabled', kind: 'changed', before: false, after: true },
      { path: 'version', kind: 'changed', before: 1, after: 2 },
    ]);
  });

  it('walks into rules and reports added and removed items', () => {
    const rule = {
      id: 'beta',
      clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
      serve: { variation: 'on' },
    };
    expect(diffJson({ rules: [] }, { rules: [rule] })).toEqual([
      { path: 'rules[0]', kind: 'added', after: rule },
    ]);
    const changed = { ...rule, clauses: [{ attribute: 'groups', op: 'in', values: ['beta', 'staff'] }] };
    expect(diffJson({ rules: [rule] }, { rules: [changed] })).toEqual([
      { path: 'rules[0].clauses[0].values', kind: 'changed', before: ['beta'], after: ['beta', 'staff'] },
    ]);
    expect(diffJson({ rules: [rule] }, { rules: [] })).toEqual([
      { path: 'rules[0]', kind: 'removed', before: rule },
    ]);
  });

  it('treats a created resource as every field added and a serve switch as a change', () => {
    expect(diffJson(null, { key: 'f', tags: ['a'] })).toEqual([
      { path: 'key', kind: 'added', after: 'f' },
      { path: 'tags', kind: 'added', after: ['a'] },
    ]);
    const before = { fallthrough: { variation: 'on' } };
    const after = { fallthrough: { rollout: { variations: [] } } };
    expect(diffJson(before, after)).toEqual([
      { path: 'fallthrough.variation', kind: 'removed', before: 'on' },
      { path: 'fallthrough.rollout', kind: 'added', after: { variations: [] } },
    ]);
    expect(diffJson({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it('previews values briefly', () => {
    expect(preview('x'.repeat(300), 10)).toHaveLength(10);
    expect(preview(undefined)).toBe('—');
  });
});
