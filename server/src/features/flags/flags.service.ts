import {
  type FlagConfig,
  type FlagKind,
  type Variation,
  validateFlagConfig,
} from '@ringflag/sdk-node/engine';
import type { AppDeps } from '../../app-env.js';
import { runWrite } from '../../db/unit-of-work.js';
import { ConflictError, type FieldError, NotFoundError, ValidationError } from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { listEnvironments } from '../environments/environments.store.js';
import { referencesIn } from '../flag-configs/references.js';
import {
  BOOLEAN_VARIATIONS,
  composeConfig,
  defaultOffVariation,
  defaultOnVariation,
  type FlagRow,
  type FlagView,
  flagView,
} from './flag-model.js';
import {
  findFlag,
  insertConfig,
  insertFlag,
  listAllConfigs,
  listConfigsOfFlag,
  listFlags,
  updateConfig,
  updateFlag,
} from './flags.store.js';

/** A new flag as the API accepts it. */
export interface NewFlag {
  key: string;
  name?: string;
  description?: string;
  kind: FlagKind;
  variations?: Variation[];
  tags?: string[];
  owner?: string | null;
  temporary?: boolean;
  clientSide?: boolean;
}

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

/** The rules of flags (their global part); configs per environment live in flag-configs. */
export interface FlagService {
  list(options: { limit: number; cursor?: string; archived?: boolean; tag?: string }): {
    items: FlagView[];
    nextCursor: string | null;
  };
  get(key: string): FlagView & { environments: Record<string, { enabled: boolean; version: number }> };
  create(actor: Actor, input: NewFlag): FlagView;
  update(actor: Actor, key: string, changes: FlagChanges): FlagView;
  setArchived(actor: Actor, key: string, archived: boolean): FlagView;
}

export function createFlagService(deps: AppDeps): FlagService {
  const mustFind = (key: string): FlagRow => {
    const flag = findFlag(deps.db, key);
    if (!flag) throw new NotFoundError(`No flag "${key}"`);
    return flag;
  };

  return {
    list({ limit, cursor, archived, tag }) {
      const afterKey = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString();
      const rows = listFlags(deps.db, { limit: limit + 1, afterKey, archived, tag });
      const more = rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      return {
        items: page.map(flagView),
        nextCursor: more ? Buffer.from(page[page.length - 1]!.key).toString('base64url') : null,
      };
    },

    get(key) {
      const flag = mustFind(key);
      const envs = new Map(listEnvironments(deps.db).map((env) => [env.id, env.key]));
      const environments: Record<string, { enabled: boolean; version: number }> = {};
      for (const config of listConfigsOfFlag(deps.db, flag.id)) {
        const env = envs.get(config.environmentId);
        if (env) environments[env] = { enabled: config.enabled, version: config.version };
      }
      return { ...flagView(flag), environments };
    },

    create(actor, input) {
      const variations = input.variations ?? (input.kind === 'boolean' ? BOOLEAN_VARIATIONS : undefined);
      if (!variations || variations.length === 0) {
        throw new ValidationError('A non-boolean flag needs variations', [
          { path: 'variations', message: `a ${input.kind} flag needs at least one variation` },
        ]);
      }
      const offVariation = defaultOffVariation(input.kind, variations);
      const initial = {
        enabled: false,
        offVariation,
        prerequisites: [],
        targets: [],
        rules: [],
        fallthrough: { variation: defaultOnVariation(input.kind, variations, offVariation) },
      };
      const checked = validateFlagConfig({
        key: input.key,
        version: 1,
        kind: input.kind,
        variations,
        clientSide: input.clientSide ?? false,
        ...initial,
      });
      if (!checked.ok) throw new ValidationError('The flag is invalid', checked.errors);
      return runWrite(deps, actor, (w) => {
        if (findFlag(w.tx, input.key)) throw new ConflictError(`A flag "${input.key}" already exists`);
        const flag = insertFlag(w.tx, {
          key: input.key,
          name: input.name ?? input.key,
          description: input.description ?? '',
          kind: input.kind,
          variations,
          tags: input.tags ?? [],
          owner: input.owner ?? null,
          temporary: input.temporary ?? true,
          clientSide: input.clientSide ?? false,
          createdAt: w.now,
          updatedAt: w.now,
        });
        for (const env of listEnvironments(w.tx)) {
          const row = { flagId: flag.id, environmentId: env.id, version: 1, updatedAt: w.now, ...initial };
          insertConfig(w.tx, row);
          w.changed(env.key, { flags: { [flag.key]: composeConfig(flag, row) } });
        }
        const view = flagView(flag);
        w.audit({
          action: 'flag.create',
          resource: { type: 'flag', key: flag.key },
          before: null,
          after: view,
        });
        return view;
      });
    },

    update(actor, key, changes) {
      return runWrite(deps, actor, (w) => {
        const before = findFlag(w.tx, key);
        if (!before) throw new NotFoundError(`No flag "${key}"`);
        const variationsChanged =
          changes.variations !== undefined &&
          JSON.stringify(changes.variations) !== JSON.stringify(before.variations);
        const clientSideChanged =
          changes.clientSide !== undefined && changes.clientSide !== before.clientSide;
        const after = updateFlag(w.tx, before.id, { ...changes, updatedAt: w.now });
        if (variationsChanged || clientSideChanged) {
          if (variationsChanged) checkVariationChange(w.tx, after);
          for (const env of listEnvironments(w.tx)) {
            const config = listConfigsOfFlag(w.tx, after.id).find((c) => c.environmentId === env.id);
            if (!config) continue;
            const bumped = updateConfig(w.tx, after.id, env.id, {
              version: config.version + 1,
              updatedAt: w.now,
            });
            if (!after.archived) w.changed(env.key, { flags: { [key]: composeConfig(after, bumped) } });
          }
        }
        w.audit({
          action: 'flag.update',
          resource: { type: 'flag', key },
          before: flagView(before),
          after: flagView(after),
        });
        return flagView(after);
      });
    },

    setArchived(actor, key, archived) {
      return runWrite(deps, actor, (w) => {
        const before = findFlag(w.tx, key);
        if (!before) throw new NotFoundError(`No flag "${key}"`);
        if (before.archived === archived) return flagView(before);
        if (archived) {
          const dependants = listAllConfigs(w.tx).filter(
            ({ flag, config }) =>
              !flag.archived &&
              (config.prerequisites as FlagConfig['prerequisites']).some((p) => p.flag === key),
          );
          if (dependants.length > 0) {
            const names = [...new Set(dependants.map(({ flag }) => flag.key))].join(', ');
            throw new ConflictError(`"${key}" is a prerequisite of ${names}; remove it there first`);
          }
        }
        const after = updateFlag(w.tx, before.id, { archived, updatedAt: w.now });
        const envs = new Map(listEnvironments(w.tx).map((env) => [env.id, env.key]));
        for (const config of listConfigsOfFlag(w.tx, after.id)) {
          const env = envs.get(config.environmentId);
          if (env) w.changed(env, { flags: { [key]: archived ? null : composeConfig(after, config) } });
        }
        w.audit({
          action: archived ? 'flag.archive' : 'flag.unarchive',
          resource: { type: 'flag', key },
          before: flagView(before),
          after: flagView(after),
        });
        return flagView(after);
      });
    },
  };

  /** New variations must still fit every environment's config and every flag that depends on this one. */
  function checkVariationChange(tx: Parameters<typeof listAllConfigs>[0], flag: FlagRow): void {
    const errors: FieldError[] = [];
    const envs = listEnvironments(tx);
    for (const config of listConfigsOfFlag(tx, flag.id)) {
      const env = envs.find((e) => e.id === config.environmentId);
      if (!env) continue;
      const result = validateFlagConfig(composeConfig(flag, config), referencesIn(tx, env.id));
      if (!result.ok) {
        for (const error of result.errors) {
          errors.push({ path: `variations`, message: `in ${env.key}: ${error.path} ${error.message}` });
        }
      }
    }
    const ids = new Set((flag.variations as Variation[]).map((v) => v.id));
    for (const { flag: other, config } of listAllConfigs(tx)) {
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
}
