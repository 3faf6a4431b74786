import { once } from 'node:events';
import { type ClientFeaturesResponse, InMemStorageProvider, Unleash } from 'unleash-client';
import { type FlagSpec, shapeContext, type User } from '../scenario.js';
import type { Subject } from '../subject.js';

type Feature = ClientFeaturesResponse['features'][number];
type UnleashContext = Parameters<Unleash['isEnabled']>[1];

/**
 * Unleash has no list-valued context fields, so `groups` travels as one string property wrapped in
 * commas (`,staff,beta,`) and rule 2 is `STR_CONTAINS ",beta,"`, which matches exactly when the list
 * holds `beta`.
 */
function joinGroups(groups: readonly string[]): string {
  return `,${groups.join(',')},`;
}

function feature(spec: FlagSpec): Feature {
  const base = { name: spec.key, enabled: true, type: 'release', project: 'default', stale: false };
  if (spec.kind === 'on-for-everyone') {
    return { ...base, strategies: [{ name: 'default', parameters: {}, constraints: [] }] } as Feature;
  }
  // Strategies are ORed in order, as Ringflag's rules are; the last one is the 10% rollout.
  return {
    ...base,
    strategies: [
      {
        name: 'default',
        parameters: {},
        constraints: [{ contextName: 'userId', operator: 'IN', values: [...spec.listedKeys] }],
      },
      {
        name: 'default',
        parameters: {},
        constraints: [
          { contextName: 'groups', operator: 'STR_CONTAINS', values: [joinGroups([spec.group])] },
        ],
      },
      {
        name: 'default',
        parameters: {},
        constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: [spec.emailSuffix] }],
      },
      {
        name: 'flexibleRollout',
        parameters: { rollout: String(spec.rolloutPercent), stickiness: 'userId', groupId: spec.key },
        constraints: [],
      },
    ],
  } as Feature;
}

/**
 * `unleash-client` (the Node SDK) offline: bootstrapped from data, polling off (`refreshInterval: 0`),
 * metrics off, an in-memory backup store (no file writes). It has no "all flags" call, so allFlags is
 * `isEnabled` over every flag name, collected in an object.
 */
export async function createUnleash(flags: readonly FlagSpec[]): Promise<Subject> {
  const unleash = new Unleash({
    appName: 'ringflag-bench',
    url: 'http://127.0.0.1:9/api/',
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: flags.map(feature) },
    skipInstanceCountWarning: true,
  });
  unleash.on('error', (error: Error) => console.error(`unleash: ${error.message}`));
  unleash.on('warn', () => {});
  await once(unleash, 'ready');
  const names = flags.map((spec) => spec.key);
  const allFlags = (context: unknown): Record<string, boolean> => {
    const out: Record<string, boolean> = {};
    for (const name of names) out[name] = unleash.isEnabled(name, context as UnleashContext);
    return out;
  };
  return {
    name: 'unleash-client',
    async: false,
    toContext: (user: User) =>
      shapeContext<UnleashContext>(user, {
        keyOnly: (userId) => ({ userId, properties: {} }),
        withEmail: (userId, email) => ({ userId, properties: { email } }),
        withGroups: (userId, groups) => ({ userId, properties: { groups: joinGroups(groups) } }),
        withBoth: (userId, groups, email) => ({ userId, properties: { groups: joinGroups(groups), email } }),
      }),
    evaluator: (flagKey) => (context) => unleash.isEnabled(flagKey, context as UnleashContext),
    allFlags,
    allValues: async (context) => allFlags(context),
    close: async () => unleash.destroy(),
  };
}
