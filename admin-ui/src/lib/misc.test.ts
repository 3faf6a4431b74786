import { describe, expect, it } from 'vitest';
import type { ExposureSeries, Flag, FlagStates } from '../types';
import { bucketExposures, niceMax } from './chart';
import { parseContextJson, rowsToContext, splitList } from './context-form';
import { describeClause, describeRule, describeServe } from './describe';
import { isStale } from './stale';
import { relativeTime } from './time';

const NOW = new Date('2026-03-02T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const flag = (overrides: Partial<Flag> = {}): Flag => ({
  key: 'f',
  name: 'F',
  description: '',
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  tags: [],
  owner: null,
  temporary: true,
  clientSide: false,
  archived: false,
  version: 1,
  createdAt: daysAgo(100),
  updatedAt: daysAgo(100),
  ...overrides,
});
const states = (updatedAt: string, lastEvaluatedAt: string | null): FlagStates => ({
  key: 'f',
  environments: {
    production: { config: {} as FlagStates['environments'][string]['config'], updatedAt, lastEvaluatedAt },
  },
});

describe('isStale', () => {
  it('flags temporary flags neither changed nor evaluated for the given days', () => {
    expect(isStale(flag(), states(daysAgo(40), null), 30, NOW)).toBe(true);
    expect(isStale(flag(), states(daysAgo(40), daysAgo(2)), 30, NOW)).toBe(false);
    expect(isStale(flag(), states(daysAgo(10), null), 30, NOW)).toBe(false);
    expect(isStale(flag(), states(daysAgo(40), null), 60, NOW)).toBe(false);
  });

  it('never flags permanent or archived flags', () => {
    expect(isStale(flag({ temporary: false }), states(daysAgo(400), null), 30, NOW)).toBe(false);
    expect(isStale(flag({ archived: true }), states(daysAgo(400), null), 30, NOW)).toBe(false);
  });
});

describe('context form', () => {
  it('turns rows into a context: groups and lists as arrays, booleans and numbers typed, key kept a string', () => {
    expect(
      rowsToContext([
        { name: 'key', value: '42' },
        { name: 'groups', value: 'beta, staff' },
        { name: 'plan', value: 'pro' },
        { name: 'seats', value: '12' },
        { name: 'trial', value: 'false' },
        { name: '', value: 'ignored' },
      ]),
    ).toEqual({ key: '42', groups: ['beta', 'staff'], plan: 'pro', seats: 12, trial: false });
  });

  it('parses JSON contexts and says what is wrong', () => {
    expect(parseContextJson('{"key":"u"}')).toEqual({ ok: true, context: { key: 'u' } });
    expect(parseContextJson('[1]').ok).toBe(false);
    expect(parseContextJson('{').ok).toBe(false);
  });

  it('splits lists on lines and commas, or lines only', () => {
    expect(splitList('a, b\n c ,\n\n')).toEqual(['a', 'b', 'c']);
    expect(splitList('^a{1,3}$\nb', false)).toEqual(['^a{1,3}$', 'b']);
  });
});

describe('descriptions and time', () => {
  const variations = flag().variations;
  it('describes clauses, serves and rules in words', () => {
    expect(describeClause({ attribute: 'groups', op: 'in', values: ['beta'] })).toBe('groups is beta');
    expect(describeClause({ attribute: 'email', op: 'endsWith', values: ['@x.com'], negate: true })).toBe(
      'email does not end with @x.com',
    );
    const rollout = {
      rollout: {
        variations: [
          { variation: 'off', weight: 90_000 },
          { variation: 'on', weight: 10_000 },
        ],
      },
    };
    expect(describeServe(rollout, variations)).toBe('rollout: off 90%, on 10%');
    expect(
      describeRule(
        {
          id: 'r',
          name: 'Staff',
          clauses: [{ op: 'inSegment', values: ['staff'] }],
          serve: { variation: 'on' },
        },
        variations,
      ),
    ).toBe('Staff: if context is in segment staff → serve on');
  });

  it('says how long ago', () => {
    expect(relativeTime(new Date(NOW.getTime() - 3 * 60_000).toISOString(), NOW)).toBe('3 minutes ago');
    expect(relativeTime(NOW.toISOString(), NOW)).toBe('just now');
    expect(relativeTime(daysAgo(1), NOW)).toBe('yesterday');
  });
});

describe('exposure chart buckets', () => {
  it('groups minutes into equal buckets with zeros for gaps', () => {
    const minute = Math.floor(NOW.getTime() / 60_000);
    const series: ExposureSeries = {
      flag: 'f',
      environment: 'production',
      since: new Date((minute - 59) * 60_000).toISOString(),
      until: new Date(minute * 60_000).toISOString(),
      variants: ['off', 'on'],
      minutes: [
        { minute: minute - 59, at: '', counts: { on: 2, off: 1 } },
        { minute: minute - 58, at: '', counts: { on: 3 } },
        { minute, at: '', counts: { off: 4 } },
      ],
      totals: { off: 5, on: 5 },
    };
    const { buckets, bucketMs } = bucketExposures(series, 6);
    expect(bucketMs).toBe(10 * 60_000);
    expect(buckets).toHaveLength(6);
    expect(buckets[0]?.counts).toEqual({ off: 1, on: 5 });
    expect(buckets[0]?.total).toBe(6);
    expect(buckets[2]?.total).toBe(0);
    expect(buckets[5]?.counts).toEqual({ off: 4, on: 0 });
  });

  it('rounds axis maxima to 1, 2 or 5 × 10^n', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(1200)).toBe(2000);
    expect(niceMax(450)).toBe(500);
  });
});
