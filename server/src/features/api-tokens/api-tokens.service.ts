import { z } from '@hono/zod-openapi';
import { type FieldError, ForbiddenError, NotFoundError, ValidationError } from '../../errors/index.js';
import { timestampSchema } from '../../http/openapi-app.js';
import { runWrite, type Write, type WriteDeps } from '../../write/unit-of-work.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { hasRole, type Role, roleSchema } from '../auth/roles.js';
import { generateSecret, hashSecret, SECRET_PREFIX, secretPrefix } from '../auth/secrets.js';
import { roleIn } from '../change-requests/requester.js';
import { findEnvironment } from '../environments/environments.store.js';
import {
  type ApiTokenRow,
  findApiTokenById,
  findTokenCreator,
  insertApiToken,
  listApiTokens,
  listLiveTokensOf,
  markApiTokenRevoked,
} from './api-tokens.store.js';

/** An API token as listed (never the secret or its hash). */
export const apiTokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the token, to recognise it.' }),
    role: roleSchema,
    environments: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'The environments it may change; null for all.' }),
    createdAt: timestampSchema,
    revokedAt: timestampSchema.nullable(),
  })
  .openapi('ApiToken');
export type ApiTokenView = z.infer<typeof apiTokenSchema>;

/** A new API token, with its secret: shown only once. */
export const newApiTokenSecretSchema = apiTokenSchema
  .extend({ token: z.string().openapi({ description: 'The secret `rf_api_…`; shown only here.' }) })
  .openapi('ApiTokenWithSecret');

function view(row: ApiTokenRow): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    environments: row.environments ?? null,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}

/** What a new token asks for. */
export interface NewApiToken {
  name: string;
  role: Role;
  environments?: string[];
}

/**
 * API tokens for pipelines: `rf_api_…`, shown once, stored as a sha256 hash. A token acts in the
 * project it was created in (the one in scope), and nowhere else.
 */
export interface ApiTokenService {
  list(): Promise<ApiTokenView[]>;
  /**
   * Creates a token for `creator`, never with more rights than the creator has: a role up to theirs,
   * and, for a creator limited to some environments, only environments among those. A token made by
   * a token is recorded under the user behind that one.
   */
  create(creator: Principal, input: NewApiToken): Promise<ApiTokenView & { token: string }>;
  revoke(actor: Principal, id: number): Promise<ApiTokenView>;
}

/**
 * Revokes every live API token of a user inside the write `w` (which disables them), auditing each
 * revocation under the write's actor.
 *
 * @example
 * await runWrite(deps, actor, async (w) => { await disable(w.tx, id); await revokeUserTokens(w, id); });
 */
export async function revokeUserTokens(w: Write, userId: number): Promise<void> {
  for (const row of await listLiveTokensOf(w.tx, userId)) await revokeRow(w, row);
}

/**
 * Revokes a token and audits it. Tokens are resolved against the database on every request (see
 * principal-resolver.ts), so no replica holds on to it: nothing else is to be told.
 */
async function revokeRow(w: Write, before: ApiTokenRow): Promise<ApiTokenRow> {
  const after = await markApiTokenRevoked(w.tx, before.id, w.now);
  w.audit({
    action: 'api_token.revoke',
    resource: { type: 'api_token', key: String(before.id) },
    before: view(before),
    after: view(after),
  });
  return after;
}

async function ownerOf(w: Write, creator: Principal): Promise<number> {
  if (creator.kind === 'user') return creator.id;
  const owner = await findTokenCreator(w.tx, creator.id);
  // Authentication refuses a token without a creator, so this is only a guard.
  if (owner === null) throw new ForbiddenError('This API token has no creator');
  return owner;
}

/** The requested rights the creator does not have, as field errors. */
function excessRights(creator: Principal, input: NewApiToken): FieldError[] {
  const errors: FieldError[] = [];
  const role = roleIn(creator);
  if (!hasRole(role, input.role)) {
    errors.push({ path: 'role', message: `may not exceed your own role (${role})` });
  }
  const allowed = creator.environments;
  if (allowed !== null) {
    if (input.environments === undefined) {
      errors.push({ path: 'environments', message: `must be among yours: ${allowed.join(', ')}` });
    }
    input.environments?.forEach((env, i) => {
      if (!allowed.includes(env)) errors.push({ path: `environments[${i}]`, message: `not one of yours` });
    });
  }
  return errors;
}

/**
 * Creates the API token service.
 *
 * @example
 * const apiTokens = createApiTokenService({ database, changes, clock, logger });
 */
export function createApiTokenService(deps: WriteDeps): ApiTokenService {
  return {
    list: async () => (await listApiTokens(deps.database)).map(view),

    async create(creator, input) {
      const excess = excessRights(creator, input);
      if (excess.length > 0) throw new ForbiddenError('A token may not have more rights than you', excess);
      const token = generateSecret(SECRET_PREFIX.apiToken);
      return runWrite(deps, actorOf(creator), async (w) => {
        const unknown: FieldError[] = [];
        for (const [i, env] of (input.environments ?? []).entries()) {
          if (!(await findEnvironment(w.tx, env))) {
            unknown.push({ path: `environments[${i}]`, message: `no environment "${env}"` });
          }
        }
        if (unknown.length > 0) throw new ValidationError('Unknown environments', unknown);
        const row = await insertApiToken(w.tx, {
          name: input.name,
          tokenHash: hashSecret(token),
          prefix: secretPrefix(token),
          role: input.role,
          environments: input.environments ?? null,
          createdBy: await ownerOf(w, creator),
          createdAt: w.now,
        });
        w.audit({
          action: 'api_token.create',
          resource: { type: 'api_token', key: String(row.id) },
          before: null,
          after: view(row),
        });
        return { ...view(row), token };
      });
    },

    revoke(actor, id) {
      return runWrite(deps, actorOf(actor), async (w) => {
        const before = await findApiTokenById(w.tx, id);
        if (!before) throw new NotFoundError(`No API token ${id}`);
        if (before.revokedAt !== null) return view(before);
        return view(await revokeRow(w, before));
      });
    },
  };
}
