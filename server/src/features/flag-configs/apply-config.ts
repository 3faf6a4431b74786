import { type FlagConfig, type References, validateFlagConfig } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import { type FieldError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Write } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { type EnvironmentRow, findEnvironment } from '../environments/environments.store.js';
import { composeConfig, type FlagConfigRow, type FlagRow } from '../flags/flag-model.js';
import { findConfig, findFlag, updateConfig } from '../flags/flags.store.js';
import { referencesIn } from './references.js';

/**
 * A config as written: the DESIGN §2 config, where the flag-level fields (key, kind, variations,
 * clientSide) and the version may be left out; when present they must match.
 */
export interface ConfigInput {
  key?: string;
  version?: number;
  kind?: string;
  variations?: unknown[];
  clientSide?: boolean;
  enabled: boolean;
  offVariation: string;
  prerequisites?: unknown[];
  targets?: unknown[];
  rules?: unknown[];
  fallthrough: unknown;
}

/** A flag, an environment and the flag's config there. */
export interface Located {
  flag: FlagRow;
  env: EnvironmentRow;
  config: FlagConfigRow;
}

/** Finds a flag's config in an environment, or throws {@link NotFoundError}. */
export async function locateConfig(q: Queryable, flagKey: string, envKey: string): Promise<Located> {
  const flag = await findFlag(q, flagKey);
  if (!flag) throw new NotFoundError(`No flag "${flagKey}"`);
  const env = await findEnvironment(q, envKey);
  if (!env) throw new NotFoundError(`No environment "${envKey}"`);
  const config = await findConfig(q, flag.id, env.id);
  if (!config) throw new NotFoundError(`Flag "${flagKey}" has no config in "${envKey}"`);
  return { flag, env, config };
}

/**
 * The config an input would make the next version: flag-level fields must match the flag, and the
 * result must pass the engine's validator against what exists in the environment now (`references`,
 * read when not given). Throws {@link ValidationError} with field paths, titled `invalid` when the
 * config itself is invalid.
 */
export async function buildConfig(
  q: Queryable,
  { flag, env, config }: Located,
  input: ConfigInput,
  invalid = 'The config is invalid',
  references?: References,
): Promise<FlagConfig> {
  const errors: FieldError[] = [];
  if (input.key !== undefined && input.key !== flag.key)
    errors.push({ path: 'key', message: `must be "${flag.key}"` });
  if (input.kind !== undefined && input.kind !== flag.kind) {
    errors.push({ path: 'kind', message: `is "${flag.kind}"; a flag's kind cannot change` });
  }
  if (
    input.variations !== undefined &&
    JSON.stringify(input.variations) !== JSON.stringify(flag.variations)
  ) {
    errors.push({
      path: 'variations',
      message: 'variations belong to the flag; change them with PATCH /api/v1/flags/{key}',
    });
  }
  if (input.clientSide !== undefined && input.clientSide !== flag.clientSide) {
    errors.push({
      path: 'clientSide',
      message: 'clientSide belongs to the flag; change it with PATCH /api/v1/flags/{key}',
    });
  }
  if (errors.length > 0) throw new ValidationError('The config does not match its flag', errors);
  const candidate = {
    enabled: input.enabled,
    offVariation: input.offVariation,
    prerequisites: input.prerequisites,
    targets: input.targets,
    rules: input.rules,
    fallthrough: input.fallthrough,
    key: flag.key,
    kind: flag.kind,
    variations: flag.variations,
    clientSide: flag.clientSide,
    version: config.version + 1,
  };
  const result = validateFlagConfig(candidate, references ?? (await referencesIn(q, env.id)));
  if (!result.ok) throw new ValidationError(invalid, result.errors);
  return result.value;
}

/** How a config write is recorded in the audit trail. */
export interface ConfigWriteEntry {
  action: string;
  comment?: string;
  changeRequestId?: string;
  onBehalfOf?: Actor;
  /** Who the event records, when not the write's actor (release plans write as themselves). */
  actor?: Actor;
}

/**
 * Stores `next` (built by {@link buildConfig}) as the config's new version inside a write: the row,
 * its audit event, and the environment's patch.
 */
export async function writeConfig(
  w: Write,
  located: Located,
  next: FlagConfig,
  entry: ConfigWriteEntry,
): Promise<FlagConfig> {
  const { flag, env, config } = located;
  const before = composeConfig(flag, config);
  const row = await updateConfig(w.tx, flag.id, env.id, {
    version: next.version,
    enabled: next.enabled,
    offVariation: next.offVariation,
    prerequisites: next.prerequisites,
    targets: next.targets,
    rules: next.rules,
    fallthrough: next.fallthrough,
    updatedAt: w.now,
  });
  const after = composeConfig(flag, row);
  w.audit({
    ...entry,
    resource: { type: 'flag', key: flag.key, environment: env.key },
    before,
    after,
  });
  if (!flag.archived) w.changed(env.ref, { flags: { [flag.key]: after } });
  return after;
}
