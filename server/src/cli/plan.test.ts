import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { parseFlagsFile } from './flags-file.js';
import { computePlan } from './plan.js';
import { formatPlan } from './plan-format.js';
import { exportFile, type ServerState } from './server-state.js';
import type { FlagConfig, FlagView, SegmentView } from './wire.js';

const NOW = '2026-01-01T00:00:00.000Z';
const variations = [
  { id: 'off', value: false },
  { id: 'on', value: true },
];

function flag(key: string, overrides: Partial<FlagView> = {}): FlagView {
  return {
    key,
    name: key,
    description: '',
    kind: 'boolean',
    variations,
    tags: [],
    owner: null,
    temporary: true,
    clientSide: false,
    archived: false,
    version: 1,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

function config(key: string, overrides: Partial<FlagConfig> = {}): FlagConfig {
  return {
    key,
    version: 1,
    kind: 'boolean',
    variations,
    enabled: false,
    offVariation: 'off',
    prerequisites: [],
    targets: [],
    rules: [],
    fallthrough: { variation: 'on' },
    clientSide: false,
    ...overrides,
  };
}

const staff: SegmentView = {
  key: 'staff',
  name: 'Staff',
  description: '',
  version: 2,
  included: ['alice'],
  excluded: [],
  rules: [],
  createdAt: NOW,
  updatedAt: NOW,
};

function state(): ServerState {
  return {
    environments: [
      { key: 'staging', name: 'Staging', order: 1, requireApproval: false, revision: 1 },
      { key: 'production', name: 'Production', order: 2, requireApproval: true, revision: 1 },
    ],
    segments: new Map([['staff', staff]]),
    flags: new Map([
      ['checkout', flag('checkout')],
      ['old', flag('old', { archived: true })],
    ]),
    configs: new Map([
      [
        'checkout',
        new Map([
          ['staging', config('checkout', { version: 4 })],
          ['production', config('checkout', { version: 7 })],
        ]),
      ],
    ]),
  };
}

describe('computePlan', () => {
  it('finds no change in the export of the same state', () => {
    const current = state();
    const file = parseFlagsFile(JSON.parse(JSON.stringify(exportFile(current))));
    const plan = computePlan(file, current);
    expect(plan.hasChanges).toBe(false);
    expect(plan.summary).toEqual({ create: 0, update: 0, unchanged: 4, pending: 0 });
    expect(formatPlan(plan).at(-1)).toBe('No changes: the server matches the file.');
  });

  it('plans creates and updates per segment, flag and environment, and leaves the rest alone', () => {
    const current = state();
    const file = parseFlagsFile({
      version: 1,
      segments: [{ key: 'staff', included: ['alice', 'bob'] }, { key: 'beta' }],
      flags: [
        {
          key: 'checkout',
          kind: 'boolean',
          name: 'Checkout',
          environments: {
            production: { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } },
          },
        },
        { key: 'banner', kind: 'boolean', environments: {} },
      ],
    });
    const plan = computePlan(file, current);
    expect(plan.segments.map((s) => [s.key, s.action])).toEqual([
      ['staff', 'update'],
      ['beta', 'create'],
    ]);
    // A PUT replaces the segment: fields the file leaves out keep the server's values.
    expect(plan.segments[0]!.body).toMatchObject({ name: 'Staff', included: ['alice', 'bob'], excluded: [] });
    const checkout = plan.flags[0]!;
    expect(checkout.changes).toEqual([{ path: 'name', before: 'checkout', after: 'Checkout' }]);
    expect(checkout.environments).toMatchObject([
      { environment: 'production', action: 'update', requireApproval: true, version: 7 },
    ]);
    expect(plan.flags[1]).toMatchObject({ key: 'banner', action: 'create' });
    expect(plan.summary).toEqual({ create: 2, update: 3, unchanged: 0, pending: 0 });
    const text = formatPlan(plan).join('\n');
    expect(text).toContain('~ production: update (needs approval)\n          ~ enabled: false → true');
    expect(text).toContain('Plan: 2 to create, 3 to update, 0 unchanged.');
  });

  it('unarchives an archived flag the file names', () => {
    const plan = computePlan(
      parseFlagsFile({ version: 1, flags: [{ key: 'old', kind: 'boolean' }] }),
      state(),
    );
    expect(plan.flags[0]).toMatchObject({ action: 'update', unarchive: true });
  });

  it('refuses unknown environments and a changed kind, with paths (exit 2)', () => {
    const file = parseFlagsFile({
      version: 1,
      flags: [
        {
          key: 'checkout',
          kind: 'string',
          variations: [{ id: 'a', value: 'a' }],
          environments: { moon: { enabled: true, offVariation: 'a', fallthrough: { variation: 'a' } } },
        },
      ],
    });
    try {
      computePlan(file, state());
      expect.unreachable();
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
      expect((error as CliError).errors.map((e) => e.path)).toEqual([
        'flags[0].kind',
        'flags[0].environments.moon',
      ]);
    }
  });
});

describe('parseFlagsFile', () => {
  it('names the path of every problem and refuses duplicate keys', () => {
    expect(() => parseFlagsFile({ version: 2 })).toThrow(CliError);
    try {
      parseFlagsFile({
        version: 1,
        flags: [
          { key: 'a', kind: 'boolean' },
          { key: 'a', kind: 'boolean' },
        ],
      });
      expect.unreachable();
    } catch (error) {
      expect((error as CliError).errors).toEqual([{ path: 'flags[1].key', message: '"a" is listed twice' }]);
    }
  });
});
