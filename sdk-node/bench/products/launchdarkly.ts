import { init, type LDContext } from '@launchdarkly/node-server-sdk';
import { TestData } from '@launchdarkly/node-server-sdk/integrations';
import { type FlagSpec, shapeContext, type User } from '../scenario.js';
import type { Subject } from '../subject.js';

/** LaunchDarkly's flag data model (what its servers stream), for `TestData.usePreconfiguredFlag`. */
function flagData(spec: FlagSpec): Record<string, unknown> {
  const base = {
    key: spec.key,
    version: 1,
    on: true,
    variations: [true, false],
    offVariation: 1,
    salt: spec.key,
    prerequisites: [],
    targets: [],
    trackEvents: false,
    trackEventsFallthrough: false,
  };
  if (spec.kind === 'on-for-everyone') return { ...base, rules: [], fallthrough: { variation: 0 } };
  const clause = (attribute: string, op: string, values: string[]) => ({
    contextKind: 'user',
    attribute,
    op,
    values,
    negate: false,
  });
  const on = spec.rolloutPercent * 1000;
  return {
    ...base,
    rules: [
      { id: 'listed', clauses: [clause('key', 'in', [...spec.listedKeys])], variation: 0 },
      { id: 'group', clauses: [clause('groups', 'in', [spec.group])], variation: 0 },
      { id: 'email', clauses: [clause('email', 'endsWith', [spec.emailSuffix])], variation: 0 },
    ],
    fallthrough: {
      rollout: {
        variations: [
          { variation: 0, weight: on },
          { variation: 1, weight: 100_000 - on },
        ],
      },
    },
  };
}

/**
 * `@launchdarkly/node-server-sdk` without a network: flags are full data-model objects injected with
 * `TestData.usePreconfiguredFlag` as the update processor (its builder cannot express `endsWith` or
 * rollouts); events and diagnostics are off. Its evaluation calls return promises.
 */
export async function createLaunchDarkly(flags: readonly FlagSpec[]): Promise<Subject> {
  const td = new TestData();
  for (const spec of flags) await td.usePreconfiguredFlag(flagData(spec));
  const silent = { error() {}, warn() {}, info() {}, debug() {} };
  const client = init('sdk-bench-offline', {
    updateProcessor: td.getFactory(),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: silent,
  });
  await client.waitForInitialization({ timeout: 5 });
  return {
    name: 'LaunchDarkly',
    async: true,
    toContext: (user: User) =>
      shapeContext<LDContext>(user, {
        keyOnly: (key) => ({ kind: 'user', key }),
        withEmail: (key, email) => ({ kind: 'user', key, email }),
        withGroups: (key, groups) => ({ kind: 'user', key, groups: [...groups] }),
        withBoth: (key, groups, email) => ({ kind: 'user', key, groups: [...groups], email }),
      }),
    evaluator: (flagKey) => (context) => client.variation(flagKey, context as LDContext, false),
    allFlags: (context) => client.allFlagsState(context as LDContext),
    allValues: async (context) => {
      const state = await client.allFlagsState(context as LDContext);
      const out: Record<string, boolean> = {};
      for (const [key, value] of Object.entries(state.allValues())) out[key] = value === true;
      return out;
    },
    close: async () => client.close(),
  };
}
