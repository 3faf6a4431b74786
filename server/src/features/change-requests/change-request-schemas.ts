import { z } from '@hono/zod-openapi';
import { flagKeySchema } from '@ringflag/sdk-node/engine';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import { CHANGE_REQUEST_KINDS, CHANGE_REQUEST_STATES } from './change-request.js';

/** Longest comment on a change, its review or a toggle. */
export const COMMENT_MAX = 1000;

const commentSchema = z.string().max(COMMENT_MAX);

/**
 * The optional members every flag config write accepts (`PUT …/environments/{env}`, `POST …/toggle`):
 * why, and when it should take effect (ISO 8601 with an offset, in the future).
 */
export const writeOptionsShape = {
  comment: commentSchema.optional(),
  applyAt: z.iso.datetime({ offset: true }).optional(),
};

/** The body of approve, reject, withdraw and cancel. */
export const reviewBodySchema = z.object({ comment: commentSchema.optional() }).strict();

/**
 * The body of approve and reject: a comment, and the revision of the request the reviewer saw (a
 * request its author changed since is not reviewed).
 */
export const decisionBodySchema = reviewBodySchema.extend({
  revision: z.number().int().min(1).max(2_147_483_647).optional(),
});

export const changeRequestParams = z.object({ id: z.coerce.number().int().positive() });

export const changeRequestListQuery = z.object({
  /** One state or several, comma-separated (`pending,scheduled`). */
  state: z
    .string()
    .max(200)
    .transform((value, ctx) => {
      const states = value.split(',').filter((s) => s !== '');
      for (const state of states) {
        if (!(CHANGE_REQUEST_STATES as readonly string[]).includes(state)) {
          ctx.addIssue({ code: 'custom', message: `unknown state "${state}"` });
          return z.NEVER;
        }
      }
      return states as (typeof CHANGE_REQUEST_STATES)[number][];
    })
    .optional(),
  /** One kind or several, comma-separated (`flag,segment`). */
  kind: z
    .string()
    .max(200)
    .transform((value, ctx) => {
      const kinds = value.split(',').filter((k) => k !== '');
      for (const kind of kinds) {
        if (!(CHANGE_REQUEST_KINDS as readonly string[]).includes(kind)) {
          ctx.addIssue({ code: 'custom', message: `unknown kind "${kind}"` });
          return z.NEVER;
        }
      }
      return kinds as (typeof CHANGE_REQUEST_KINDS)[number][];
    })
    .optional(),
  flag: flagKeySchema.optional(),
  segment: flagKeySchema.optional(),
  /** Requests in this environment, and global (flag-level or segment) requests it gates. */
  environment: environmentKeySchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});
