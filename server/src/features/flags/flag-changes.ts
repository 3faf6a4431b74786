import { type FlagConfig, type Variation, validateFlagConfig } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import { ConflictError, type FieldError, ValidationError } from '../../errors/index.js';
import type { Write } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { listEnvironments } from '../environments/environments.store.js';
import { referencesIn } from '../flag-configs/references.js';
import { projectInScope } from '../projects/project-scope.js';
import { listActivePlans } from '../releases/releases.store.js';
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
  await checkVariationChange(tx, before, { ...before, variations: changes.variations });
}

/** The parts of a config that name variations. */
type Serving = Pick<FlagConfig, 'offVariation' | 'targets' | 'rules' | 'fallthrough'>;

/** Whether a stored value (such as the config a release plan's rollback restores) is a config's serving part. */
function isServing(value: unknown): value is Serving {
  if (typeof value !== 'object' || value === null) return false;
  const config = value as Record<string, unknown>;
  return (
    typeof config.offVariation === 'string' &&
    Array.isArray(config.targets) &&
    Array.isArray(config.rules) &&
    typeof config.fallthrough === 'object' &&
    config.fallthrough !== null
  );
}

/** Whether a rule's or the default rule's serve names `variation` (a rollout names it even at 0%). */
function serves(serve: FlagConfig['fallthrough'], variation: string): boolean {
  return 'variation' in serve
    ? serve.variation === variation
    : serve.rollout.variations.some((weighted) => weighted.variation === variation);
}

/**
 * Where a config names `variation`, as a person reads it: "the off variation", "individual targets",
 * "rule 2 "Beta testers"", "the default rule".
 *
 * @example
 * usesOfVariation(config, 'blue'); // ['the off variation', 'rule 1 "Staff"']
 */
export function usesOfVariation(config: Serving, variation: string): string[] {
  const uses: string[] = [];
  if (config.offVariation === variation) uses.push('the off variation');
  if (config.targets.some((target) => target.variation === variation)) uses.push('individual targets');
  config.rules.forEach((rule, index) => {
    if (serves(rule.serve, variation)) uses.push(`rule ${index + 1}${rule.name ? ` "${rule.name}"` : ''}`);
  });
  if (serves(config.fallthrough, variation)) uses.push('the default rule');
  return uses;
}

/**
 * Why removing variations is refused: one error (at `variations`) per environment whose config serves
 * a removed one, per flag that needs one as a prerequisite, and per running or paused release plan
 * that releases one or whose rollback would restore one.
 */
async function removedVariationErrors(tx: Queryable, before: FlagRow, after: FlagRow): Promise<FieldError[]> {
  const kept = new Set((after.variations as Variation[]).map((v) => v.id));
  const removed = (before.variations as Variation[]).map((v) => v.id).filter((id) => !kept.has(id));
  if (removed.length === 0) return [];
  const errors: FieldError[] = [];
  const inUse = (id: string, where: string) =>
    errors.push({ path: 'variations', message: `variation "${id}" is in use: ${where}; change that first` });
  const envs = new Map((await listEnvironments(tx)).map((env) => [env.id, env.key]));
  for (const config of await listConfigsOfFlag(tx, before.id)) {
    const env = envs.get(config.environmentId);
    if (env === undefined) continue;
    for (const id of removed) {
      const uses = usesOfVariation(composeConfig(before, config), id);
      if (uses.length > 0) inUse(id, `${uses.join(', ')} in ${env}`);
    }
  }
  for (const { flag: other, config } of await listAllConfigs(tx)) {
    for (const prerequisite of config.prerequisites as FlagConfig['prerequisites']) {
      if (prerequisite.flag === before.key && removed.includes(prerequisite.variation)) {
        const env = envs.get(config.environmentId) ?? '?';
        inUse(prerequisite.variation, `flag "${other.key}" needs it as a prerequisite in ${env}`);
      }
    }
  }
  for (const { plan, environmentKey } of await listActivePlans(tx, projectInScope().id)) {
    if (plan.flagId !== before.id) continue;
    for (const id of removed) {
      if (plan.variation === id) inUse(id, `the release plan in ${environmentKey} releases it`);
      else if (isServing(plan.prePlanConfig) && usesOfVariation(plan.prePlanConfig, id).length > 0) {
        inUse(id, `rolling back the release plan in ${environmentKey} would restore it`);
      }
    }
  }
  return errors;
}

async function checkVariationChange(tx: Queryable, before: FlagRow, flag: FlagRow): Promise<void> {
  const removed = await removedVariationErrors(tx, before, flag);
  if (removed.length > 0) throw new ValidationError('A variation in use cannot be removed', removed);
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
    if (variationsChanged) await checkVariationChange(w.tx, before, after);
    const envs = new Map((await listEnvironments(w.tx)).map((env) => [env.id, env.ref]));
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
  const envs = new Map((await listEnvironments(w.tx)).map((env) => [env.id, env.ref]));
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
