import type { FlagConfigInput } from '../../src/engine/index.js';
import { type Context, Ringflag, type SdkPayload } from '../../src/index.js';
import { type FlagSpec, shapeContext, type User } from '../scenario.js';
import type { Subject } from '../subject.js';

function flagConfig(spec: FlagSpec): FlagConfigInput {
  const base = {
    key: spec.key,
    version: 1,
    kind: 'boolean' as const,
    variations: [
      { id: 'off', value: false },
      { id: 'on', value: true },
    ],
    enabled: true,
    offVariation: 'off',
  };
  if (spec.kind === 'on-for-everyone') return { ...base, fallthrough: { variation: 'on' } };
  const on = spec.rolloutPercent * 1000;
  return {
    ...base,
    rules: [
      {
        id: 'listed',
        clauses: [{ attribute: 'key', op: 'in', values: [...spec.listedKeys] }],
        serve: { variation: 'on' },
      },
      {
        id: 'group',
        clauses: [{ attribute: 'groups', op: 'in', values: [spec.group] }],
        serve: { variation: 'on' },
      },
      {
        id: 'email',
        clauses: [{ attribute: 'email', op: 'endsWith', values: [spec.emailSuffix] }],
        serve: { variation: 'on' },
      },
    ],
    fallthrough: {
      rollout: {
        variations: [
          { variation: 'on', weight: on },
          { variation: 'off', weight: 100_000 - on },
        ],
      },
    },
  };
}

/** Ringflag through its public client API, offline with a bootstrap payload. */
export async function createRingflag(flags: readonly FlagSpec[]): Promise<Subject> {
  const payload: SdkPayload = {
    revision: 1,
    flags: Object.fromEntries(flags.map((spec) => [spec.key, flagConfig(spec)])),
    segments: {},
  };
  const client = new Ringflag({ offline: true, bootstrap: payload });
  await client.ready({ timeoutMs: 5000 });
  return {
    name: 'Ringflag',
    async: false,
    toContext: (user: User) =>
      shapeContext<Context>(user, {
        keyOnly: (key) => ({ key }),
        withEmail: (key, email) => ({ key, email }),
        withGroups: (key, groups) => ({ key, groups }),
        withBoth: (key, groups, email) => ({ key, groups, email }),
      }),
    evaluator: (flagKey) => (context) => client.isEnabled(flagKey, context as Context),
    allFlags: (context) => client.allFlags(context as Context),
    allValues: async (context) => {
      const values = client.allFlags(context as Context);
      return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, value === true]));
    },
    close: () => client.close(),
  };
}
