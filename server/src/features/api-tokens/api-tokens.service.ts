import { and, asc, eq, isNull } from 'drizzle-orm';
import type { AppDeps } from '../../app-env.js';
import { apiTokens } from '../../db/schema.js';
import { runWrite, type Write } from '../../db/unit-of-work.js';
import { type FieldError, ForbiddenError, NotFoundError, ValidationError } from '../../errors/index.js';
import { findTokenCreator } from '../auth/auth.store.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { hasRole, type Role } from '../auth/roles.js';
import { generateSecret, hashSecret, SECRET_PREFIX, secretPrefix } from '../auth/secrets.js';
import { findEnvironment } from '../environments/environments.store.js';

type Row = typeof apiTokens.$inferSelect;

/** An API token as listed (never the secret or its hash). */
export interface ApiTokenView {
  id: number;
  name: string;
  prefix: string;
  role: Role;
  environments: string[] | null;
  createdAt: string;
  revokedAt: string | null;
}

function view(row: Row): ApiTokenView {
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

/** API tokens for pipelines: `rf_api_…`, shown once, stored as a sha256 hash. */
export interface ApiTokenService {
  list(): ApiTokenView[];
  /**
   * Creates a token for `creator`, never with more rights than the creator has: a role up to theirs,
   * and, for a creator limited to some environments, only environments among those. A token made by
   * a token is recorded under the user behind that one.
   */
  create(creator: Principal, input: NewApiToken): ApiTokenView & { token: string };
  revoke(actor: Principal, id: number): ApiTokenView;
}

/**
 * Revokes every live API token of a user inside the write `w` (which disables them), auditing each
 * revocation under the write's actor.
 *
 * @example
 * runWrite(deps, actor, (w) => { disable(w.tx, id); revokeUserTokens(w, id); });
 */
export function revokeUserTokens(w: Write, userId: number): void {
  const live = w.tx
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.createdBy, userId), isNull(apiTokens.revokedAt)))
    .all();
  for (const row of live) revokeRow(w, row);
}

function revokeRow(w: Write, before: Row): Row {
  const after = w.tx
    .update(apiTokens)
    .set({ revokedAt: w.now })
    .where(eq(apiTokens.id, before.id))
    .returning()
    .get();
  w.audit({
    action: 'api_token.revoke',
    resource: { type: 'api_token', key: String(before.id) },
    before: view(before),
    after: view(after),
  });
  return after;
}

function ownerOf(w: Write, creator: Principal): number {
  if (creator.kind === 'user') return creator.id;
  const owner = findTokenCreator(w.tx, creator.id);
  // Authentication refuses a token without a creator, so this is only a guard.
  if (owner === null) throw new ForbiddenError('This API token has no creator');
  return owner;
}

/** The requested rights the creator does not have, as field errors. */
function excessRights(creator: Principal, input: NewApiToken): FieldError[] {
  const errors: FieldError[] = [];
  if (!hasRole(creator.role, input.role)) {
    errors.push({ path: 'role', message: `may not exceed your own role (${creator.role})` });
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

export function createApiTokenService(deps: AppDeps): ApiTokenService {
  return {
    list: () => deps.db.select().from(apiTokens).orderBy(asc(apiTokens.id)).all().map(view),

    create(creator, input) {
      const excess = excessRights(creator, input);
      if (excess.length > 0) throw new ForbiddenError('A token may not have more rights than you', excess);
      const token = generateSecret(SECRET_PREFIX.apiToken);
      return runWrite(deps, actorOf(creator), (w) => {
        const unknown = (input.environments ?? []).flatMap((env, i) =>
          findEnvironment(w.tx, env)
            ? []
            : [{ path: `environments[${i}]`, message: `no environment "${env}"` }],
        );
        if (unknown.length > 0) throw new ValidationError('Unknown environments', unknown);
        const row = w.tx
          .insert(apiTokens)
          .values({
            name: input.name,
            tokenHash: hashSecret(token),
            prefix: secretPrefix(token),
            role: input.role,
            environments: input.environments ?? null,
            createdBy: ownerOf(w, creator),
            createdAt: w.now,
          })
          .returning()
          .get();
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
      return runWrite(deps, actorOf(actor), (w) => {
        const before = w.tx.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
        if (!before) throw new NotFoundError(`No API token ${id}`);
        if (before.revokedAt !== null) return view(before);
        return view(revokeRow(w, before));
      });
    },
  };
}
