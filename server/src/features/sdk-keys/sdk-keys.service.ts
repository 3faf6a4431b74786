import { and, asc, eq, sql } from 'drizzle-orm';
import type { AppDeps } from '../../app-env.js';
import type { Queryable } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import { environments, sdkKeys } from '../../db/schema.js';
import { runWrite } from '../../db/unit-of-work.js';
import { NotFoundError } from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { generateSecret, hashSecret, SECRET_PREFIX, safeEqual, secretPrefix } from '../auth/secrets.js';
import { findEnvironment } from '../environments/environments.store.js';
import type { SdkKeyIdentity } from './sdk-key-identity.js';

type Row = typeof sdkKeys.$inferSelect;

/** An SDK key as listed (never the secret). */
export interface SdkKeyView {
  id: number;
  environment: string;
  type: 'server' | 'client';
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

function view(row: Row, environment: string): SdkKeyView {
  return {
    id: row.id,
    environment,
    type: row.type,
    prefix: row.prefix,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}

/**
 * Looks up an SDK key by its hash; undefined for unknown or revoked keys.
 *
 * @example
 * const identity = findSdkKey(db, 'rf_srv_…');
 */
export function findSdkKey(db: Queryable, key: string): SdkKeyIdentity | undefined {
  const hash = hashSecret(key);
  // Prepared once per handle: every SDK and browser request authenticates through here.
  const row = prepared(db, 'findSdkKey', () =>
    db
      .select({
        id: sdkKeys.id,
        type: sdkKeys.type,
        environmentId: sdkKeys.environmentId,
        keyHash: sdkKeys.keyHash,
        revokedAt: sdkKeys.revokedAt,
        environment: environments.key,
      })
      .from(sdkKeys)
      .innerJoin(environments, eq(environments.id, sdkKeys.environmentId))
      .where(eq(sdkKeys.keyHash, sql.placeholder('hash')))
      .prepare(),
  ).get({ hash });
  if (!row || row.revokedAt !== null || !safeEqual(row.keyHash, hash)) return undefined;
  return { id: row.id, type: row.type, environmentId: row.environmentId, environment: row.environment };
}

/** SDK keys per environment: `rf_srv_…` (secret) and `rf_cli_…` (public), stored hashed. */
export interface SdkKeyService {
  list(env: string): SdkKeyView[];
  create(actor: Actor, env: string, type: 'server' | 'client'): SdkKeyView & { key: string };
  revoke(actor: Actor, env: string, id: number): SdkKeyView;
}

export function createSdkKeyService(deps: AppDeps): SdkKeyService {
  const mustFindEnv = (db: Queryable, env: string) => {
    const row = findEnvironment(db, env);
    if (!row) throw new NotFoundError(`No environment "${env}"`);
    return row;
  };
  return {
    list(env) {
      const row = mustFindEnv(deps.db, env);
      return deps.db
        .select()
        .from(sdkKeys)
        .where(eq(sdkKeys.environmentId, row.id))
        .orderBy(asc(sdkKeys.id))
        .all()
        .map((key) => view(key, env));
    },

    create(actor, env, type) {
      const key = generateSecret(type === 'server' ? SECRET_PREFIX.serverKey : SECRET_PREFIX.clientKey);
      return runWrite(deps, actor, (w) => {
        const environment = mustFindEnv(w.tx, env);
        const row = w.tx
          .insert(sdkKeys)
          .values({
            environmentId: environment.id,
            type,
            keyHash: hashSecret(key),
            prefix: secretPrefix(key),
            createdAt: w.now,
          })
          .returning()
          .get();
        w.audit({
          action: 'sdk_key.create',
          resource: { type: 'sdk_key', key: String(row.id), environment: env },
          before: null,
          after: view(row, env),
        });
        return { ...view(row, env), key };
      });
    },

    revoke(actor, env, id) {
      const result = runWrite(deps, actor, (w) => {
        const environment = mustFindEnv(w.tx, env);
        const before = w.tx
          .select()
          .from(sdkKeys)
          .where(and(eq(sdkKeys.id, id), eq(sdkKeys.environmentId, environment.id)))
          .get();
        if (!before) throw new NotFoundError(`No SDK key ${id} in "${env}"`);
        if (before.revokedAt !== null) return view(before, env);
        const after = w.tx
          .update(sdkKeys)
          .set({ revokedAt: w.now })
          .where(eq(sdkKeys.id, id))
          .returning()
          .get();
        w.audit({
          action: 'sdk_key.revoke',
          resource: { type: 'sdk_key', key: String(id), environment: env },
          before: view(before, env),
          after: view(after, env),
        });
        return view(after, env);
      });
      deps.hub.disconnectKey(id);
      return result;
    },
  };
}
