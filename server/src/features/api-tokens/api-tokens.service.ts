import { asc, eq } from 'drizzle-orm';
import type { AppDeps } from '../../app-env.js';
import { apiTokens } from '../../db/schema.js';
import { runWrite } from '../../db/unit-of-work.js';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import type { Role } from '../auth/roles.js';
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

/** API tokens for pipelines: `rf_api_…`, shown once, stored as a sha256 hash. */
export interface ApiTokenService {
  list(): ApiTokenView[];
  create(
    actor: Actor,
    createdBy: number | null,
    input: { name: string; role: Role; environments?: string[] },
  ): ApiTokenView & { token: string };
  revoke(actor: Actor, id: number): ApiTokenView;
  /** The user who created a token (directly, or through a token of theirs); null when unknown. */
  ownerOf(id: number): number | null;
}

export function createApiTokenService(deps: AppDeps): ApiTokenService {
  return {
    list: () => deps.db.select().from(apiTokens).orderBy(asc(apiTokens.id)).all().map(view),

    ownerOf: (id) =>
      deps.db.select({ createdBy: apiTokens.createdBy }).from(apiTokens).where(eq(apiTokens.id, id)).get()
        ?.createdBy ?? null,

    create(actor, createdBy, input) {
      const token = generateSecret(SECRET_PREFIX.apiToken);
      return runWrite(deps, actor, (w) => {
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
            createdBy,
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
      return runWrite(deps, actor, (w) => {
        const before = w.tx.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
        if (!before) throw new NotFoundError(`No API token ${id}`);
        if (before.revokedAt !== null) return view(before);
        const after = w.tx
          .update(apiTokens)
          .set({ revokedAt: w.now })
          .where(eq(apiTokens.id, id))
          .returning()
          .get();
        w.audit({
          action: 'api_token.revoke',
          resource: { type: 'api_token', key: String(id) },
          before: view(before),
          after: view(after),
        });
        return view(after);
      });
    },
  };
}
