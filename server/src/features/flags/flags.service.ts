import { type FlagKind, type Variation, validateFlagConfig } from '@ringflag/sdk-node/engine';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../../errors/index.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { actorOf, type Principal } from '../auth/principal.js';
import type { ChangeRequest } from '../change-requests/change-request.js';
import { openGlobalChangeRequest } from '../change-requests/open-change-request.js';
import { requesterOf } from '../change-requests/requester.js';
import { listEnvironments } from '../environments/environments.store.js';
import {
  applyArchived,
  applyFlagChanges,
  changesServedValues,
  checkArchivable,
  checkFlagChanges,
  type FlagChanges,
  flagGatedEnvironments,
} from './flag-changes.js';
import {
  BOOLEAN_VARIATIONS,
  checkBooleanVariations,
  composeConfig,
  type FlagRow,
  type FlagView,
  flagView,
  initialConfig,
} from './flag-model.js';
import type { FlagDetail } from './flag-schemas.js';
import { findFlag, insertConfig, insertFlag, listConfigsOfFlag, listFlags } from './flags.store.js';

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

export type { FlagChanges } from './flag-changes.js';

/** Options of a flag-level write through the API. */
export interface FlagWriteOptions {
  /** From `If-Match`: the flag version the client read; another version is a 412. */
  expectedVersion?: number;
  /** Why; kept on the change request and in the audit trail. */
  comment?: string;
}

/** What a flag-level write did: applied at once, or left a change request (HTTP 202). */
export type FlagWriteOutcome =
  | { kind: 'applied'; flag: FlagView }
  | { kind: 'requested'; changeRequest: ChangeRequest };

/** The rules of flags (their global part); configs per environment live in flag-configs. */
export interface FlagService {
  list(options: { limit: number; cursor?: string; archived?: boolean; tag?: string }): Promise<{
    items: FlagView[];
    nextCursor: string | null;
  }>;
  get(key: string): Promise<FlagDetail>;
  create(actor: Actor, input: NewFlag): Promise<FlagView>;
  /**
   * Changes the global part. Where a change alters what an approval-required environment serves
   * (variation values, exposing to browser keys), the whole change becomes a change request there,
   * recording the person behind `principal`.
   */
  update(
    principal: Principal,
    key: string,
    changes: FlagChanges,
    options?: FlagWriteOptions,
  ): Promise<FlagWriteOutcome>;
  /** Archives or restores a flag; a change request where an environment requires approval. */
  setArchived(
    principal: Principal,
    key: string,
    archived: boolean,
    options?: FlagWriteOptions,
  ): Promise<FlagWriteOutcome>;
}

/** What the flag service needs: writes, and reads on the database. */
export type FlagServiceDeps = WriteDeps;

export function createFlagService(deps: FlagServiceDeps): FlagService {
  const mustFind = async (key: string): Promise<FlagRow> => {
    const flag = await findFlag(deps.database, key);
    if (!flag) throw new NotFoundError(`No flag "${key}"`);
    return flag;
  };

  return {
    async list({ limit, cursor, archived, tag }) {
      const afterKey = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString();
      const rows = await listFlags(deps.database, { limit: limit + 1, afterKey, archived, tag });
      const more = rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      return {
        items: page.map(flagView),
        nextCursor: more ? Buffer.from(page[page.length - 1]!.key).toString('base64url') : null,
      };
    },

    async get(key) {
      const flag = await mustFind(key);
      const envs = new Map((await listEnvironments(deps.database)).map((env) => [env.id, env.key]));
      const environments: Record<string, { enabled: boolean; version: number }> = {};
      for (const config of await listConfigsOfFlag(deps.database, flag.id)) {
        const env = envs.get(config.environmentId);
        if (env) environments[env] = { enabled: config.enabled, version: config.version };
      }
      return { ...flagView(flag), environments };
    },

    async create(actor, input) {
      const variations = input.variations ?? (input.kind === 'boolean' ? BOOLEAN_VARIATIONS : undefined);
      if (!variations || variations.length === 0) {
        throw new ValidationError('A non-boolean flag needs variations', [
          { path: 'variations', message: `a ${input.kind} flag needs at least one variation` },
        ]);
      }
      checkBooleanVariations(input.kind, variations);
      const initial = initialConfig(input.kind, variations);
      const checked = validateFlagConfig({
        key: input.key,
        version: 1,
        kind: input.kind,
        variations,
        clientSide: input.clientSide ?? false,
        ...initial,
      });
      if (!checked.ok) throw new ValidationError('The flag is invalid', checked.errors);
      return runWrite(deps, actor, async (w) => {
        if (await findFlag(w.tx, input.key)) throw new ConflictError(`A flag "${input.key}" already exists`);
        const flag = await insertFlag(w.tx, {
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
        for (const env of await listEnvironments(w.tx)) {
          const row = { flagId: flag.id, environmentId: env.id, version: 1, updatedAt: w.now, ...initial };
          await insertConfig(w.tx, row);
          w.changed(env.ref, { flags: { [flag.key]: composeConfig(flag, row) } });
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

    update(principal, key, changes, options = {}) {
      return runWrite(deps, actorOf(principal), async (w): Promise<FlagWriteOutcome> => {
        const before = await findFlag(w.tx, key);
        if (!before) throw new NotFoundError(`No flag "${key}"`);
        checkFlagVersion(before, options.expectedVersion);
        checkBooleanVariations(before.kind as FlagKind, changes.variations);
        const gatedBy = changesServedValues(before, changes) ? await flagGatedEnvironments(w.tx, before) : [];
        if (gatedBy.length === 0) {
          return { kind: 'applied', flag: flagView(await applyFlagChanges(w, before, changes, options)) };
        }
        // The whole PATCH becomes the request: one proposal, one review, one audit trail. It must
        // fit now (it is checked again when approved).
        await checkFlagChanges(w.tx, before, changes);
        const proposed = { ...flagView(before), ...changes, version: before.version + 1 };
        const changeRequest = await openGlobalChangeRequest(w, {
          kind: 'flag',
          flag: before,
          before: flagView(before),
          proposed,
          environments: gatedBy,
          requester: await requesterOf(w.tx, principal),
          comment: options.comment,
        });
        return { kind: 'requested', changeRequest };
      });
    },

    setArchived(principal, key, archived, options = {}) {
      return runWrite(deps, actorOf(principal), async (w): Promise<FlagWriteOutcome> => {
        const before = await findFlag(w.tx, key);
        if (!before) throw new NotFoundError(`No flag "${key}"`);
        checkFlagVersion(before, options.expectedVersion);
        const gatedBy = before.archived === archived ? [] : await flagGatedEnvironments(w.tx, before, true);
        if (gatedBy.length === 0) {
          return { kind: 'applied', flag: flagView(await applyArchived(w, before, archived, options)) };
        }
        if (archived) await checkArchivable(w.tx, before);
        const changeRequest = await openGlobalChangeRequest(w, {
          kind: archived ? 'archive' : 'unarchive',
          flag: before,
          before: flagView(before),
          proposed: { ...flagView(before), archived, version: before.version + 1 },
          environments: gatedBy,
          requester: await requesterOf(w.tx, principal),
          comment: options.comment,
        });
        return { kind: 'requested', changeRequest };
      });
    },
  };
}

/** Throws {@link PreconditionFailedError} when the client's `If-Match` names another version. */
function checkFlagVersion(flag: FlagRow, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== flag.version) {
    throw new PreconditionFailedError(
      `The flag is at version ${flag.version}, not ${expectedVersion}; reload and reapply your change`,
    );
  }
}
