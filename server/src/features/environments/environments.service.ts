import { z } from '@hono/zod-openapi';
import type { Variation } from '@ringflag/sdk-node/engine';
import { ConflictError, type FieldError, NotFoundError, ValidationError } from '../../errors/index.js';
import { timestampSchema } from '../../http/openapi-app.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { requireReviewOfScheduled } from '../change-requests/change-requests.service.js';
import { composeConfig, initialConfig } from '../flags/flag-model.js';
import { insertConfig, listFlags } from '../flags/flags.store.js';
import type { EnvironmentChanges, NewEnvironment } from './environment-schemas.js';
import {
  type EnvironmentRow,
  findEnvironment,
  insertEnvironment,
  listEnvironments,
  updateEnvironment,
} from './environments.store.js';

/** An environment as the API shows it. */
export const environmentSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    order: z.number().int().openapi({ description: 'Its place in the pipeline; lower comes first.' }),
    requireApproval: z.boolean(),
    corsOrigins: z.array(z.string()),
    revision: z.number().int().openapi({ description: 'Increments on every change the SDKs see.' }),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .openapi('Environment');
export type EnvironmentView = z.infer<typeof environmentSchema>;

export function environmentView(row: EnvironmentRow): EnvironmentView {
  return {
    key: row.key,
    name: row.name,
    order: row.sortOrder,
    requireApproval: row.requireApproval,
    corsOrigins: row.corsOrigins,
    revision: row.revision,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Environments, in pipeline order. */
export interface EnvironmentService {
  list(): Promise<EnvironmentView[]>;
  get(key: string): Promise<EnvironmentView>;
  create(actor: Actor, input: NewEnvironment): Promise<EnvironmentView>;
  /** Changes one environment; `comment` (why) is kept in the audit trail. */
  update(
    actor: Actor,
    key: string,
    changes: EnvironmentChanges,
    options?: { comment?: string },
  ): Promise<EnvironmentView>;
  /**
   * Puts the environments in this pipeline order: `keys` lists every environment once. Each one that
   * moves gets `order` = its position and an `environment.update` audit event. Returns them in order.
   */
  reorder(actor: Actor, keys: readonly string[]): Promise<EnvironmentView[]>;
}

/** What the environment service needs: writes, and reads on the database. */
export type EnvironmentServiceDeps = WriteDeps;

export function createEnvironmentService(deps: EnvironmentServiceDeps): EnvironmentService {
  return {
    list: async () => (await listEnvironments(deps.database)).map(environmentView),

    async get(key) {
      const row = await findEnvironment(deps.database, key);
      if (!row) throw new NotFoundError(`No environment "${key}"`);
      return environmentView(row);
    },

    create(actor, input) {
      return runWrite(deps, actor, async (w) => {
        if (await findEnvironment(w.tx, input.key)) {
          throw new ConflictError(`An environment "${input.key}" exists`);
        }
        const last = (await listEnvironments(w.tx)).at(-1);
        const row = await insertEnvironment(w.tx, {
          key: input.key,
          name: input.name,
          sortOrder: input.order ?? (last ? last.sortOrder + 1 : 0),
          requireApproval: input.requireApproval ?? false,
          corsOrigins: input.corsOrigins ?? [],
          createdAt: w.now,
          updatedAt: w.now,
        });
        // Every flag exists, off, in the new environment.
        for (const flag of await listFlags(w.tx, { limit: 1_000_000 })) {
          const config = {
            flagId: flag.id,
            environmentId: row.id,
            version: 1,
            updatedAt: w.now,
            ...initialConfig(flag.kind, flag.variations as Variation[]),
          };
          await insertConfig(w.tx, config);
          if (!flag.archived) w.changed(row.ref, { flags: { [flag.key]: composeConfig(flag, config) } });
        }
        const view = environmentView(row);
        w.audit({
          action: 'environment.create',
          resource: { type: 'environment', key: row.key },
          before: null,
          after: view,
        });
        // Other replicas cache environments (CORS origins, approval, order).
        w.signal({ type: 'environments-changed' });
        return view;
      });
    },

    update(actor, key, changes, options = {}) {
      return runWrite(deps, actor, async (w) => {
        const before = await findEnvironment(w.tx, key);
        if (!before) throw new NotFoundError(`No environment "${key}"`);
        const after = await updateEnvironment(w.tx, before.id, {
          name: changes.name,
          sortOrder: changes.order,
          requireApproval: changes.requireApproval,
          corsOrigins: changes.corsOrigins,
          updatedAt: w.now,
        });
        const view = environmentView(after);
        w.audit({
          action: 'environment.update',
          resource: { type: 'environment', key },
          before: environmentView(before),
          after: view,
          comment: options.comment,
        });
        w.signal({ type: 'environments-changed' });
        // What was scheduled while nobody had to approve it now waits for a second person too.
        if (!before.requireApproval && after.requireApproval) await requireReviewOfScheduled(w, before.id);
        return view;
      });
    },

    reorder(actor, keys) {
      return runWrite(deps, actor, async (w) => {
        const all = await listEnvironments(w.tx);
        checkOrder(
          all.map((env) => env.key),
          keys,
        );
        const byKey = new Map(all.map((env) => [env.key, env]));
        const views: EnvironmentView[] = [];
        for (const [position, key] of keys.entries()) {
          const before = byKey.get(key)!;
          if (before.sortOrder === position) {
            views.push(environmentView(before));
            continue;
          }
          const after = await updateEnvironment(w.tx, before.id, { sortOrder: position, updatedAt: w.now });
          const view = environmentView(after);
          w.audit({
            action: 'environment.update',
            resource: { type: 'environment', key },
            before: environmentView(before),
            after: view,
          });
          views.push(view);
        }
        w.signal({ type: 'environments-changed' });
        return views;
      });
    },
  };
}

/**
 * Throws {@link ValidationError} unless `order` names each of `existing` exactly once, with the path
 * of each unknown or repeated key (`order[2]`) and `order` for the ones left out.
 */
function checkOrder(existing: readonly string[], order: readonly string[]): void {
  const known = new Set(existing);
  const errors: FieldError[] = [];
  order.forEach((key, index) => {
    if (!known.has(key)) errors.push({ path: `order[${index}]`, message: `no environment "${key}"` });
    else if (order.indexOf(key) !== index) {
      errors.push({ path: `order[${index}]`, message: `"${key}" is listed twice` });
    }
  });
  const missing = existing.filter((key) => !order.includes(key));
  if (missing.length > 0) {
    errors.push({ path: 'order', message: `must list every environment; missing ${missing.join(', ')}` });
  }
  if (errors.length > 0) throw new ValidationError('The order must list every environment once', errors);
}
