import { type FlagConfig, validateFlagConfig } from '@ringflag/sdk-node/engine';
import type { AppDeps } from '../../app-env.js';
import type { Queryable } from '../../db/client.js';
import { runWrite } from '../../db/unit-of-work.js';
import {
  type FieldError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { type EnvironmentRow, findEnvironment } from '../environments/environments.store.js';
import { composeConfig, type FlagConfigRow, type FlagRow } from '../flags/flag-model.js';
import { findConfig, findFlag, setConfigEnabled, updateConfig } from '../flags/flags.store.js';
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

/** Flag configs per environment: read, replace (optimistic concurrency), toggle. */
export interface FlagConfigService {
  get(flagKey: string, env: string): FlagConfig;
  /** Replaces a config; `expectedVersion` (from If-Match or the body) must be current. */
  put(actor: Actor, flagKey: string, env: string, input: ConfigInput, expectedVersion?: number): FlagConfig;
  /** Turns a flag on or off. Turning off is the kill switch: always immediate (DESIGN §4). */
  toggle(actor: Actor, flagKey: string, env: string, enabled: boolean, comment?: string): FlagConfig;
}

interface Located {
  flag: FlagRow;
  env: EnvironmentRow;
  config: FlagConfigRow;
}

function locate(db: Queryable, flagKey: string, envKey: string): Located {
  const flag = findFlag(db, flagKey);
  if (!flag) throw new NotFoundError(`No flag "${flagKey}"`);
  const env = findEnvironment(db, envKey);
  if (!env) throw new NotFoundError(`No environment "${envKey}"`);
  const config = findConfig(db, flag.id, env.id);
  if (!config) throw new NotFoundError(`Flag "${flagKey}" has no config in "${envKey}"`);
  return { flag, env, config };
}

export function createFlagConfigService(deps: AppDeps): FlagConfigService {
  return {
    get(flagKey, env) {
      const { flag, config } = locate(deps.db, flagKey, env);
      return composeConfig(flag, config);
    },

    put(actor, flagKey, envKey, input, expectedVersion) {
      // Approval (DESIGN §4) is a later issue: environments store `requireApproval`, but writes apply
      // directly until change requests exist.
      return runWrite(deps, actor, (w) => {
        const { flag, env, config } = locate(w.tx, flagKey, envKey);
        if (expectedVersion !== undefined && expectedVersion !== config.version) {
          throw new PreconditionFailedError(
            `The config is at version ${config.version}, not ${expectedVersion}; reload and reapply your change`,
          );
        }
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
        const before = composeConfig(flag, config);
        const candidate = {
          ...input,
          key: flag.key,
          kind: flag.kind,
          variations: flag.variations,
          clientSide: flag.clientSide,
          version: config.version + 1,
        };
        const result = validateFlagConfig(candidate, referencesIn(w.tx, env.id));
        if (!result.ok) throw new ValidationError('The config is invalid', result.errors);
        const value = result.value;
        const row = updateConfig(w.tx, flag.id, env.id, {
          version: value.version,
          enabled: value.enabled,
          offVariation: value.offVariation,
          prerequisites: value.prerequisites,
          targets: value.targets,
          rules: value.rules,
          fallthrough: value.fallthrough,
          updatedAt: w.now,
        });
        const after = composeConfig(flag, row);
        w.audit({
          action: 'flag.config.update',
          resource: { type: 'flag', key: flag.key, environment: env.key },
          before,
          after,
        });
        if (!flag.archived) w.changed(env.key, { flags: { [flag.key]: after } });
        return after;
      });
    },

    toggle(actor, flagKey, envKey, enabled, comment) {
      return runWrite(deps, actor, (w) => {
        const { flag, env, config } = locate(w.tx, flagKey, envKey);
        const before = composeConfig(flag, config);
        if (config.enabled === enabled) return before;
        const row = setConfigEnabled(w.tx, flag.id, env.id, {
          enabled,
          version: config.version + 1,
          updatedAt: w.now,
        });
        const after = composeConfig(flag, row);
        w.audit({
          action: enabled ? 'flag.config.enable' : 'flag.config.disable',
          resource: { type: 'flag', key: flag.key, environment: env.key },
          before,
          after,
          comment,
        });
        if (!flag.archived) w.changed(env.key, { flags: { [flag.key]: after } });
        return after;
      });
    },
  };
}
