import { FlagdCore } from '@openfeature/flagd-core';
import { type FlagSpec, shapeContext, type User } from '../scenario.js';
import type { Subject } from '../subject.js';

type JsonLogic = Record<string, unknown>;

function targeting(spec: FlagSpec): JsonLogic | undefined {
  if (spec.kind === 'on-for-everyone') return undefined;
  return {
    if: [
      { in: [{ var: 'targetingKey' }, [...spec.listedKeys]] },
      'on',
      { in: [spec.group, { var: 'groups' }] },
      'on',
      { ends_with: [{ var: 'email' }, spec.emailSuffix] },
      'on',
      // Without a bucketing expression, fractional hashes `<flag key><targetingKey>`.
      {
        fractional: [
          ['on', spec.rolloutPercent],
          ['off', 100 - spec.rolloutPercent],
        ],
      },
    ],
  };
}

/**
 * flagd's in-process evaluator (`@openfeature/flagd-core`): a flagd flag configuration, targeting in
 * JsonLogic compiled by json-logic-engine (its default compiled mode).
 */
export async function createFlagd(flags: readonly FlagSpec[]): Promise<Subject> {
  const config = {
    flags: Object.fromEntries(
      flags.map((spec) => [
        spec.key,
        {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: spec.kind === 'on-for-everyone' ? 'on' : 'off',
          ...(spec.kind === 'on-for-everyone' ? {} : { targeting: targeting(spec) }),
        },
      ]),
    ),
  };
  const core = new FlagdCore();
  core.setConfigurations(JSON.stringify(config));
  type FlagdContext = Parameters<FlagdCore['resolveAll']>[0];
  return {
    name: 'flagd-core',
    async: false,
    toContext: (user: User) =>
      shapeContext(user, {
        keyOnly: (targetingKey) => ({ targetingKey }),
        withEmail: (targetingKey, email) => ({ targetingKey, email }),
        withGroups: (targetingKey, groups) => ({ targetingKey, groups: [...groups] }),
        withBoth: (targetingKey, groups, email) => ({ targetingKey, groups: [...groups], email }),
      }),
    evaluator: (flagKey) => (context) =>
      core.resolveBooleanEvaluation(flagKey, false, context as FlagdContext).value,
    allFlags: (context) => core.resolveAll(context as FlagdContext),
    allValues: async (context) => {
      const out: Record<string, boolean> = {};
      for (const detail of core.resolveAll(context as FlagdContext))
        out[detail.flagKey] = detail.value === true;
      return out;
    },
    close: async () => {},
  };
}
