import { z } from '@hono/zod-openapi';
import type { Queryable } from '../../db/client.js';
import { NotFoundError } from '../../errors/index.js';
import { timestampSchema } from '../../http/openapi-app.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { generateSecret, hashSecret, SECRET_PREFIX, safeEqual, secretPrefix } from '../auth/secrets.js';
import { findEnvironment } from '../environments/environments.store.js';
import type { SdkKeyIdentity } from './sdk-key-identity.js';
import {
  findSdkKeyByHash,
  findSdkKeyIn,
  insertSdkKey,
  listSdkKeys,
  markSdkKeyRevoked,
  type SdkKeyRow,
} from './sdk-keys.store.js';

/** An SDK key as listed (never the secret). */
export const sdkKeySchema = z
  .object({
    id: z.number().int(),
    environment: z.string(),
    type: z.enum(['server', 'client']),
    prefix: z.string().openapi({ description: 'The first characters of the key, to recognise it.' }),
    createdAt: timestampSchema,
    revokedAt: timestampSchema.nullable(),
  })
  .openapi('SdkKey');
export type SdkKeyView = z.infer<typeof sdkKeySchema>;

/** A new SDK key, with its secret: shown only once. */
export const newSdkKeySecretSchema = sdkKeySchema
  .extend({ key: z.string().openapi({ description: 'The key `rf_srv_…` or `rf_cli_…`; shown only here.' }) })
  .openapi('SdkKeyWithSecret');

function view(row: SdkKeyRow, environment: string): SdkKeyView {
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
 * Looks up an SDK key by its hash; undefined for unknown or revoked keys. Asks the database every
 * time: callers that cache the answer bound its age themselves.
 *
 * @example
 * const identity = await findSdkKey(database, 'rf_srv_…');
 */
export async function findSdkKey(q: Queryable, key: string): Promise<SdkKeyIdentity | undefined> {
  const hash = hashSecret(key);
  const row = await findSdkKeyByHash(q, hash);
  if (!row || row.revokedAt !== null || !safeEqual(row.keyHash, hash)) return undefined;
  return { id: row.id, type: row.type, environmentId: row.environmentId, environment: row.environment };
}

/** SDK keys per environment: `rf_srv_…` (secret) and `rf_cli_…` (public), stored hashed. */
export interface SdkKeyService {
  list(env: string): Promise<SdkKeyView[]>;
  create(actor: Actor, env: string, type: 'server' | 'client'): Promise<SdkKeyView & { key: string }>;
  /** Revokes a key; every replica closes its streams and forgets it once the revocation commits. */
  revoke(actor: Actor, env: string, id: number): Promise<SdkKeyView>;
  /** The identity of a live key (see {@link findSdkKey}). */
  find(key: string): Promise<SdkKeyIdentity | undefined>;
}

/**
 * Creates the SDK key service. Creating a key signals `sdk-keys-changed` and revoking one
 * `sdk-key-revoked`, so that every replica drops what it caches about keys when the write commits.
 *
 * @example
 * const sdkKeys = createSdkKeyService({ database, changes, clock, logger });
 */
export function createSdkKeyService(deps: WriteDeps): SdkKeyService {
  const mustFindEnv = async (q: Queryable, env: string) => {
    const row = await findEnvironment(q, env);
    if (!row) throw new NotFoundError(`No environment "${env}"`);
    return row;
  };
  return {
    async list(env) {
      const environment = await mustFindEnv(deps.database, env);
      return (await listSdkKeys(deps.database, environment.id)).map((key) => view(key, env));
    },

    create(actor, env, type) {
      const key = generateSecret(type === 'server' ? SECRET_PREFIX.serverKey : SECRET_PREFIX.clientKey);
      return runWrite(deps, actor, async (w) => {
        const environment = await mustFindEnv(w.tx, env);
        const row = await insertSdkKey(w.tx, {
          environmentId: environment.id,
          type,
          keyHash: hashSecret(key),
          prefix: secretPrefix(key),
          createdAt: w.now,
        });
        w.audit({
          action: 'sdk_key.create',
          resource: { type: 'sdk_key', key: String(row.id), environment: env },
          before: null,
          after: view(row, env),
        });
        w.signal({ type: 'sdk-keys-changed' });
        return { ...view(row, env), key };
      });
    },

    revoke(actor, env, id) {
      return runWrite(deps, actor, async (w) => {
        const environment = await mustFindEnv(w.tx, env);
        const before = await findSdkKeyIn(w.tx, environment.id, id);
        if (!before) throw new NotFoundError(`No SDK key ${id} in "${env}"`);
        if (before.revokedAt !== null) return view(before, env);
        const after = await markSdkKeyRevoked(w.tx, id, w.now);
        w.audit({
          action: 'sdk_key.revoke',
          resource: { type: 'sdk_key', key: String(id), environment: env },
          before: view(before, env),
          after: view(after, env),
        });
        // The change feed closes the key's streams and drops it from caches, on every replica.
        w.signal({ type: 'sdk-key-revoked', keyId: id });
        return view(after, env);
      });
    },

    find: (key) => findSdkKey(deps.database, key),
  };
}
