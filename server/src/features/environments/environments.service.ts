import type { Variation } from '@ringflag/sdk-node/engine';
import type { AppDeps } from '../../app-env.js';
import { runWrite } from '../../db/unit-of-work.js';
import { ConflictError, NotFoundError } from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { requireReviewOfScheduled } from '../change-requests/change-requests.service.js';
import { BOOLEAN_VARIATIONS, composeConfig, defaultOffVariation } from '../flags/flag-model.js';
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
export interface EnvironmentView {
  key: string;
  name: string;
  order: number;
  requireApproval: boolean;
  corsOrigins: string[];
  revision: number;
  createdAt: string;
  updatedAt: string;
}

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
  list(): EnvironmentView[];
  get(key: string): EnvironmentView;
  create(actor: Actor, input: NewEnvironment): EnvironmentView;
  update(actor: Actor, key: string, changes: EnvironmentChanges): EnvironmentView;
}

export function createEnvironmentService(deps: AppDeps): EnvironmentService {
  return {
    list: () => listEnvironments(deps.db).map(environmentView),

    get(key) {
      const row = findEnvironment(deps.db, key);
      if (!row) throw new NotFoundError(`No environment "${key}"`);
      return environmentView(row);
    },

    create(actor, input) {
      return runWrite(deps, actor, (w) => {
        if (findEnvironment(w.tx, input.key)) throw new ConflictError(`An environment "${input.key}" exists`);
        const last = listEnvironments(w.tx).at(-1);
        const row = insertEnvironment(w.tx, {
          key: input.key,
          name: input.name,
          sortOrder: input.order ?? (last ? last.sortOrder + 1 : 0),
          requireApproval: input.requireApproval ?? false,
          corsOrigins: input.corsOrigins ?? [],
          createdAt: w.now,
          updatedAt: w.now,
        });
        // Every flag exists, off, in the new environment.
        for (const flag of listFlags(w.tx, { limit: 1_000_000 })) {
          const variations = flag.variations as Variation[];
          const off =
            variations.length > 0 ? defaultOffVariation(flag.kind, variations) : BOOLEAN_VARIATIONS[0]!.id;
          const config = {
            flagId: flag.id,
            environmentId: row.id,
            version: 1,
            enabled: false,
            offVariation: off,
            prerequisites: [],
            targets: [],
            rules: [],
            fallthrough: { variation: off },
            updatedAt: w.now,
          };
          insertConfig(w.tx, config);
          if (!flag.archived) w.changed(row.key, { flags: { [flag.key]: composeConfig(flag, config) } });
        }
        const view = environmentView(row);
        w.audit({
          action: 'environment.create',
          resource: { type: 'environment', key: row.key },
          before: null,
          after: view,
        });
        return view;
      });
    },

    update(actor, key, changes) {
      return runWrite(deps, actor, (w) => {
        const before = findEnvironment(w.tx, key);
        if (!before) throw new NotFoundError(`No environment "${key}"`);
        const after = updateEnvironment(w.tx, before.id, {
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
        });
        // What was scheduled while nobody had to approve it now waits for a second person too.
        if (!before.requireApproval && after.requireApproval) requireReviewOfScheduled(w, before.id);
        return view;
      });
    },
  };
}
