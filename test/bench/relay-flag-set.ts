/**
 * The flag set of the relay benchmark's evaluation part: about 100 kB of `/sdk/v1/flags` in
 * `development` (by default 110 clientSide flags of every kind, each with up to five rules — segment
 * membership, countries and plans, app versions and account age, e-mail domains, beta groups — individual
 * targets, percentage rollouts and prerequisites, over 8 segments of listed users and rules), and the
 * contexts the load generator sends.
 */
import type { AdminClient } from '../support/ringflag-process.js';

const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'NL', 'SE', 'NO', 'ES', 'IT', 'JP', 'AU', 'BR', 'IN'];
const PLANS = ['free', 'starter', 'pro', 'enterprise'];
const PLATFORMS = ['web', 'ios', 'android', 'desktop'];
const AREAS = ['checkout', 'search', 'onboarding', 'billing', 'profile', 'feed', 'editor', 'reports'];
const FEATURES = ['redesign', 'new-flow', 'fast-path', 'banner', 'recommendations', 'limits', 'beta', 'v2'];
export const SEGMENTS = 8;

/** A user as the load generator sends it: several attributes, so rules and segments have work. */
export function contextOf(i: number): Record<string, string | number | boolean | string[]> {
  return {
    key: `user-${i}`,
    email: i % 7 === 0 ? `user-${i}@partner.example` : `user-${i}@example.com`,
    country: COUNTRIES[i % COUNTRIES.length] as string,
    plan: PLANS[i % PLANS.length] as string,
    platform: PLATFORMS[i % PLATFORMS.length] as string,
    appVersion: `3.${i % 6}.${i % 10}`,
    accountAgeDays: i % 400,
    beta: i % 5 === 0,
    groups: i % 10 === 0 ? ['staff', 'beta'] : ['customers'],
  };
}

/** Keys of users in a segment or a flag's targets: a spread of the context keys. */
const userKeys = (from: number, count: number, step: number) =>
  Array.from({ length: count }, (_, i) => `user-${from + i * step}`);

function segmentOf(i: number) {
  const included = userKeys(i * 13, 40, 97);
  return {
    key: `segment-${i}`,
    name: `Segment ${i}`,
    description: 'Benchmark audience: listed users, a partner domain, and some countries on paid plans',
    included,
    excluded: userKeys(i * 17 + 5, 8, 211).filter((key) => !included.includes(key)),
    rules: [
      { id: 'partners', clauses: [{ attribute: 'email', op: 'endsWith', values: ['@partner.example'] }] },
      {
        id: 'paid-in-region',
        clauses: [
          { attribute: 'country', op: 'in', values: COUNTRIES.slice(i % 5, (i % 5) + 4) },
          { attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] },
        ],
      },
    ],
  };
}

/** One flag of the set: its creation body and its `development` config, by index. */
function flagOf(i: number, booleanKeys: string[]) {
  const key = `${AREAS[i % AREAS.length]}-${FEATURES[Math.floor(i / AREAS.length) % FEATURES.length]}-${i}`;
  const shape = i % 10;
  const kind = shape < 6 ? 'boolean' : shape < 8 ? 'string' : shape === 8 ? 'number' : 'json';
  const variations =
    kind === 'boolean'
      ? undefined
      : kind === 'string'
        ? ['control', 'variant-a', 'variant-b'].map((id) => ({ id, value: id }))
        : kind === 'number'
          ? [
              { id: 'low', value: 10 },
              { id: 'medium', value: 50 },
              { id: 'high', value: 250 },
            ]
          : [
              { id: 'default', value: { layout: 'grid', pageSize: 20, theme: 'light' } },
              { id: 'compact', value: { layout: 'list', pageSize: 50, theme: 'light' } },
            ];
  const ids = variations?.map((variation) => variation.id) ?? ['on', 'off'];
  const [first, second] = ids as [string, string];
  const last = ids[ids.length - 1] as string;
  const even = (weightOf: (n: number) => number) =>
    ids.map((variation, n) => ({ variation, weight: weightOf(n) }));
  const split3 = (n: number) =>
    (ids.length === 3 ? [33_334, 33_333, 33_333][n] : [50_000, 50_000][n]) as number;
  const rollout = (percent: number, bucketBy?: string) => ({
    rollout: {
      ...(bucketBy ? { bucketBy } : {}),
      variations: [
        { variation: first, weight: percent * 1000 },
        { variation: second, weight: 100_000 - percent * 1000 },
        ...ids.slice(2).map((variation) => ({ variation, weight: 0 })),
      ],
    },
  });
  const rules = [
    {
      id: 'internal',
      name: 'Staff and partners',
      clauses: [{ op: 'inSegment', values: [`segment-${i % SEGMENTS}`] }],
      serve: { variation: first },
    },
    {
      id: 'regions',
      name: 'Launch countries',
      clauses: [
        { attribute: 'country', op: 'in', values: COUNTRIES.slice(i % 6, (i % 6) + 5) },
        { attribute: 'plan', op: 'in', values: PLANS.slice(1 + (i % 3)) },
      ],
      serve: rollout(10 + (i % 9) * 10),
    },
    {
      id: 'mobile-recent',
      name: 'Recent mobile apps, older accounts',
      clauses: [
        { attribute: 'platform', op: 'in', values: ['ios', 'android'] },
        { attribute: 'appVersion', op: 'semverGt', values: [`3.${i % 4}.0`] },
        { attribute: 'accountAgeDays', op: 'gte', values: [30 + (i % 60)] },
      ],
      serve: { rollout: { variations: even(split3) } },
    },
    {
      id: 'company-email',
      name: 'Company addresses',
      clauses: [{ attribute: 'email', op: 'endsWith', values: ['@example.com'], negate: i % 4 === 0 }],
      serve: { variation: last },
    },
    {
      id: 'beta-testers',
      name: 'Beta testers',
      clauses: [
        { attribute: 'beta', op: 'in', values: [true] },
        { attribute: 'groups', op: 'in', values: ['beta', 'staff'] },
      ],
      serve: { variation: first },
    },
  ].slice(0, i % 5);
  const config = {
    enabled: i % 8 !== 7,
    offVariation: kind === 'boolean' ? 'off' : last,
    prerequisites:
      i % 10 === 9 && booleanKeys.length > 0
        ? [{ flag: booleanKeys[i % booleanKeys.length] as string, variation: 'on' }]
        : [],
    targets: i % 3 === 0 ? [{ variation: first, keys: userKeys(i, 10, 101) }] : [],
    rules,
    fallthrough:
      i % 2 === 0 ? rollout(5 + (i % 20) * 5, i % 6 === 0 ? 'email' : undefined) : { variation: last },
  };
  return {
    create: {
      key,
      name: `${key.replace(/-/g, ' ')}`,
      description: `Benchmark flag ${i}: ${kind}, ${rules.length} rule(s)`,
      kind,
      ...(variations ? { variations } : {}),
      tags: [AREAS[i % AREAS.length] as string, 'bench'],
      clientSide: true,
    },
    config,
    boolean: kind === 'boolean',
  };
}

/** Creates the segments and `count` flags in `environment`; returns the flag count. */
export async function createFlagSet(admin: AdminClient, environment: string, count: number): Promise<number> {
  for (let i = 0; i < SEGMENTS; i++) await admin.request('POST', '/api/v1/segments', segmentOf(i));
  const booleanKeys: string[] = [];
  for (let i = 0; i < count; i++) {
    const flag = flagOf(i, booleanKeys);
    await admin.request('POST', '/api/v1/flags', flag.create);
    await admin.putConfig(flag.create.key, environment, flag.config);
    if (flag.boolean) booleanKeys.push(flag.create.key);
  }
  return count;
}
