import { type FlagConfig, type Variation, validateFlagConfig } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import { ConflictError, type FieldError, ValidationError } from '../../errors/index.js';
import type { Write } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { listEnvironments } from '../environments/environments.store.js';
import { referencesIn } from '../flag-configs/references.js';
import { composeConfig, type FlagRow, flagView } from './flag-model.js';
import { listAllConfigs, listConfigsOfFlag, updateConfig, updateFlag } from './flags.store.js';

/** Changes to a flag's global part. */
export interface FlagChanges {
  name?: string;
  description?: string;
  variations?: Variation[];
  tags?: string[];
  owner?: string | null;
  temporary?: boolean;
  clientSide?: boolean;
}

/** How a flag-level write is recorded in the audit trail. */
export interface FlagWriteEntry {
  comment?: string;
  changeRequestId?: string;
  onBehalfOf?: Actor;
}

/** Variations as SDKs see them: ids and values, without display names. */
function servedVariations(variations: readonly Variation[]): string {
  return JSON.stringify(variations.map((variation) => [variation.id, variation.value]));
}

/**
 * Whether changes alter what SDKs serve, so that environments requiring approval must approve them:
 * a variation's id or value, or exposing the flag to browser keys. Names, descriptions, tags, owner,
 * `temporary` and variation display names change nothing served. Hiding a flag from browser keys
 * (`clientSide: false`) is a mitigation, like the kill switch, and never waits.
 */
export function changesServedValues(flag: FlagRow, changes: FlagChanges): boolean {
  const variations =
    changes.variations !== undefined &&
    servedVariations(changes.variations) !== servedVariations(flag.variations as Variation[]);
  return variations || (changes.clientSide === true && !flag.clientSide);
}

/**
 * The approval-required environments whose served values a change to this flag's global part would
 * change: every one where the flag is served (all of them, unless it is archived and stays so).
 */
export async function flagGatedEnvironments(
  q: Queryable,
  flag: FlagRow,
  unarchiving = false,
): Promise<string[]> {
  if (flag.archived && !unarchiving) return [];
  const withConfig = new Set((await listConfigsOfFlag(q, flag.id)).map((config) => config.environmentId));
  return (await listEnvironments(q))
    .filter((env) => env.requireApproval && withConfig.has(env.id))
    .map((env) => env.key);
}

/**
 * New variations must still fit every environment's config and every flag that depends on this one.
 * Throws {@link ValidationError}; a change request runs it when proposed and again when approved.
 */
export async function checkFlagChanges(tx: Queryable, before: FlagRow, changes: FlagChanges): Promise<void> {
  if (changes.variations === undefined) return;
  if (JSON.stringify(changes.variations) === JSON.stringify(before.variations)) return;
  await checkVariationChange(tx, { ...before, variations: changes.variations });
}

async function checkVariationChange(tx: Queryable, flag: FlagRow): Promise<void> {
  const errors: FieldError[] = [];
  const envs = await listEnvironments(tx);
  for (const config of await listConfigsOfFlag(tx, flag.id)) {
    const env = envs.find((e) => e.id === config.environmentId);
    if (!env) continue;
    const result = validateFlagConfig(composeConfig(flag, config), await referencesIn(tx, env.id));
    if (!result.ok) {
      for (const error of result.errors) {
        errors.push({ path: `variations`, message: `in ${env.key}: ${error.path} ${error.message}` });
      }
    }
  }
  const ids = new Set((flag.variations as Variation[]).map((v) => v.id));
  for (const { flag: other, config } of await listAllConfigs(tx)) {
    for (const prerequisite of config.prerequisites as FlagConfig['prerequisites']) {
      if (prerequisite.flag === flag.key && !ids.has(prerequisite.variation)) {
        errors.push({
          path: 'variations',
          message: `flag "${other.key}" needs variation "${prerequisite.variation}" as a prerequisite`,
        });
      }
    }
  }
  if (errors.length > 0)
    throw new ValidationError('The new variations do not fit the existing configs', errors);
}

/**
 * Applies changes to a flag's global part inside a write: the flag's next version, every config's
 * next version when served values change (so SDKs get the new variations or visibility), and the
 * `flag.update` audit event. Throws {@link ValidationError} when new variations do not fit.
 */
export async function applyFlagChanges(
  w: Write,
  before: FlagRow,
  changes: FlagChanges,
  entry: FlagWriteEntry,
): Promise<FlagRow> {
  const variationsChanged =
    changes.variations !== undefined &&
    JSON.stringify(changes.variations) !== JSON.stringify(before.variations);
  const clientSideChanged = changes.clientSide !== undefined && changes.clientSide !== before.clientSide;
  const after = await updateFlag(w.tx, before.id, {
    ...changes,
    version: before.version + 1,
    updatedAt: w.now,
  });
  if (variationsChanged || clientSideChanged) {
    if (variationsChanged) await checkVariationChange(w.tx, after);
    const envs = new Map((await listEnvironments(w.tx)).map((env) => [env.id, env.key]));
    for (const config of await listConfigsOfFlag(w.tx, after.id)) {
      const env = envs.get(config.environmentId);
      if (env === undefined) continue;
      const bumped = await updateConfig(w.tx, after.id, config.environmentId, {
        version: config.version + 1,
        updatedAt: w.now,
      });
      if (!after.archived) w.changed(env, { flags: { [after.key]: composeConfig(after, bumped) } });
    }
  }
  w.audit({
    ...entry,
    action: 'flag.update',
    resource: { type: 'flag', key: after.key },
    before: flagView(before),
    after: flagView(after),
  });
  return after;
}

/** Throws {@link ConflictError} while a live flag names this one as a prerequisite. */
export async function checkArchivable(tx: Queryable, flag: FlagRow): Promise<void> {
  const dependants = (await listAllConfigs(tx)).filter(
    ({ flag: other, config }) =>
      !other.archived &&
      (config.prerequisites as FlagConfig['prerequisites']).some((p) => p.flag === flag.key),
  );
  if (dependants.length > 0) {
    const names = [...new Set(dependants.map(({ flag: other }) => other.key))].join(', ');
    throw new ConflictError(`"${flag.key}" is a prerequisite of ${names}; remove it there first`);
  }
}

/**
 * Archives or restores a flag inside a write (SDKs stop or start seeing it), with its audit event.
 * Throws {@link ConflictError} when archiving a flag that is still another flag's prerequisite.
 */
export async function applyArchived(
  w: Write,
  before: FlagRow,
  archived: boolean,
  entry: FlagWriteEntry,
): Promise<FlagRow> {
  if (before.archived === archived) return before;
  if (archived) await checkArchivable(w.tx, before);
  const after = await updateFlag(w.tx, before.id, {
    archived,
    version: before.version + 1,
    updatedAt: w.now,
  });
  const envs = new Map((await listEnvironments(w.tx)).map((env) => [env.id, env.key]));
  for (const config of await listConfigsOfFlag(w.tx, after.id)) {
    const env = envs.get(config.environmentId);
    if (env) w.changed(env, { flags: { [after.key]: archived ? null : composeConfig(after, config) } });
  }
  w.audit({
    ...entry,
    action: archived ? 'flag.archive' : 'flag.unarchive',
    resource: { type: 'flag', key: after.key },
    before: flagView(before),
    after: flagView(after),
  });
  return after;
}
