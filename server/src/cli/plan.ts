import type { ApiClient } from './api-client.js';
import { badInput, type FieldProblem } from './cli-error.js';
import { type Change, diffFields, diffTargeting } from './diff.js';
import type { FlagEntry, FlagsFile, SegmentEntry } from './flags-file.js';
import { matchingRequest } from './pending-requests.js';
import { type Targeting, targetingOf } from './rollout.js';
import type { ServerState } from './server-state.js';
import type { ChangeRequest, FlagView } from './wire.js';

export type Action = 'create' | 'update' | 'unchanged' | 'pending';

export interface SegmentPlan {
  key: string;
  action: 'create' | 'update' | 'unchanged';
  changes: Change[];
  desired: SegmentEntry;
  /** The version an update must match. */
  version?: number;
  /** The whole segment to write: the file's fields over the server's (a PUT replaces the segment). */
  body: Omit<SegmentEntry, 'key'>;
}

export interface ConfigPlan {
  environment: string;
  action: Action;
  changes: Change[];
  requireApproval: boolean;
  desired: Targeting;
  version?: number;
  /** An open change request that already proposes `desired`. */
  changeRequest?: Pick<ChangeRequest, 'id' | 'state' | 'applyAt'>;
}

export interface FlagPlan {
  key: string;
  /** Of the flag's own fields (name, variations, tags, …). */
  action: 'create' | 'update' | 'unchanged';
  changes: Change[];
  unarchive: boolean;
  environments: ConfigPlan[];
  desired: FlagEntry;
  /** The flag's version on the server when planned (sent as If-Match); absent for a new flag. */
  version?: number;
}

export interface Plan {
  segments: SegmentPlan[];
  flags: FlagPlan[];
  /** On the server but not in the file: left alone. */
  unmanaged: { segments: string[]; flags: string[] };
  summary: { create: number; update: number; unchanged: number; pending: number };
  hasChanges: boolean;
}

const FLAG_FIELDS = [
  'name',
  'description',
  'variations',
  'tags',
  'owner',
  'temporary',
  'clientSide',
] as const;
const SEGMENT_FIELDS = ['name', 'description', 'included', 'excluded', 'rules'] as const;

function flagFields(entry: FlagEntry): Partial<FlagView> {
  const { key: _key, kind: _kind, environments: _environments, ...fields } = entry;
  return fields;
}

function segmentFields(entry: SegmentEntry): Omit<SegmentEntry, 'key'> {
  const { key: _key, ...fields } = entry;
  return fields;
}

/**
 * What applying `file` would change on the server (pure: the server state is read beforehand). Refuses
 * (exit 2) a file that names unknown environments or changes a flag's kind.
 */
export function computePlan(file: FlagsFile, state: ServerState): Plan {
  const errors: FieldProblem[] = [];
  const envs = new Map(state.environments.map((env) => [env.key, env]));

  const segments: SegmentPlan[] = file.segments.map((entry) => {
    const current = state.segments.get(entry.key);
    if (!current) {
      return { key: entry.key, action: 'create', changes: [], desired: entry, body: segmentFields(entry) };
    }
    const changes = diffFields(current, segmentFields(entry), SEGMENT_FIELDS);
    const { name, description, included, excluded, rules } = current;
    return {
      key: entry.key,
      action: changes.length > 0 ? 'update' : 'unchanged',
      changes,
      desired: entry,
      version: current.version,
      body: { name, description, included, excluded, rules, ...segmentFields(entry) },
    };
  });

  const flags: FlagPlan[] = file.flags.map((entry, index) => {
    const current = state.flags.get(entry.key);
    if (current && current.kind !== entry.kind) {
      errors.push({
        path: `flags[${index}].kind`,
        message: `"${entry.key}" is a ${current.kind} flag on the server; a flag's kind cannot change`,
      });
    }
    const environments = Object.entries(entry.environments).flatMap(([envKey, config]): ConfigPlan[] => {
      const env = envs.get(envKey);
      if (!env) {
        errors.push({
          path: `flags[${index}].environments.${envKey}`,
          message: `no environment "${envKey}" on the server (${[...envs.keys()].join(', ')})`,
        });
        return [];
      }
      const desired = targetingOf(config);
      const existing = state.configs.get(entry.key)?.get(envKey);
      if (!current || !existing) {
        return [
          {
            environment: envKey,
            action: 'create',
            changes: [],
            requireApproval: env.requireApproval,
            desired,
          },
        ];
      }
      const changes = diffTargeting(targetingOf(existing), desired);
      return [
        {
          environment: envKey,
          action: changes.length > 0 ? 'update' : 'unchanged',
          changes,
          requireApproval: env.requireApproval,
          desired,
          version: existing.version,
        },
      ];
    });
    if (!current) {
      return {
        key: entry.key,
        action: 'create',
        changes: [],
        unarchive: false,
        environments,
        desired: entry,
      };
    }
    const changes = diffFields(current, flagFields(entry), FLAG_FIELDS);
    if (current.archived) changes.push({ path: 'archived', before: true, after: false });
    return {
      key: entry.key,
      action: changes.length > 0 ? 'update' : 'unchanged',
      changes,
      unarchive: current.archived,
      environments,
      desired: entry,
      version: current.version,
    };
  });
  if (errors.length > 0) throw badInput('the flags file does not fit the server', errors);

  const inFile = { segments: new Set(segments.map((s) => s.key)), flags: new Set(flags.map((f) => f.key)) };
  return summarize({
    segments,
    flags,
    unmanaged: {
      segments: [...state.segments.keys()].filter((key) => !inFile.segments.has(key)).sort(),
      flags: [...state.flags.values()]
        .filter((flag) => !flag.archived && !inFile.flags.has(flag.key))
        .map((flag) => flag.key)
        .sort(),
    },
  });
}

/** Counts actions over segments, flags and environment configs. */
export function summarize(plan: Pick<Plan, 'segments' | 'flags' | 'unmanaged'>): Plan {
  const summary = { create: 0, update: 0, unchanged: 0, pending: 0 };
  const count = (action: Action) => {
    summary[action]++;
  };
  for (const segment of plan.segments) count(segment.action);
  for (const flag of plan.flags) {
    count(flag.action);
    for (const config of flag.environments) count(config.action);
  }
  return { ...plan, summary, hasChanges: summary.create + summary.update > 0 };
}

/**
 * Marks config updates that an open change request already proposes as `pending`, so a second apply
 * in an environment that requires approval files nothing new.
 */
export async function markPending(api: ApiClient, plan: Plan): Promise<Plan> {
  for (const flag of plan.flags) {
    if (flag.action === 'create') continue;
    for (const config of flag.environments) {
      if (config.action !== 'update') continue;
      const request = await matchingRequest(api, flag.key, config.environment, config.desired);
      if (request) {
        config.action = 'pending';
        config.changeRequest = { id: request.id, state: request.state, applyAt: request.applyAt };
      }
    }
  }
  return summarize(plan);
}
