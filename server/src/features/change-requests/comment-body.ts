import type { z } from '@hono/zod-openapi';
import { issuesToErrors } from '@ringflag/sdk-node/engine';
import { ValidationError } from '../../errors/index.js';
import { parseJsonText } from '../../http/json-body.js';
import { decisionBodySchema, reviewBodySchema } from './change-request-schemas.js';

/**
 * The comment of an optional `{comment}` body (review actions, archive, unarchive). Parsed here rather
 * than by a route validator, so that a pipeline may POST with no body at all, with or without a JSON
 * content type.
 *
 * @example
 * const comment = await commentOf(c); // undefined for an empty body
 */
export async function commentOf(c: { req: { text(): Promise<string> } }): Promise<string | undefined> {
  return (await optionalBody(c, reviewBodySchema)).comment;
}

/**
 * The `{ comment?, revision? }` body of approve and reject, parsed as {@link commentOf} parses its
 * own: an empty body is `{}`.
 *
 * @example
 * const { comment, revision } = await decisionOf(c);
 */
export async function decisionOf(c: {
  req: { text(): Promise<string> };
}): Promise<{ comment?: string; revision?: number }> {
  return optionalBody(c, decisionBodySchema);
}

/** An optional JSON body that must match `schema`; `{}` when empty. */
async function optionalBody<T extends object>(
  c: { req: { text(): Promise<string> } },
  schema: z.ZodType<T>,
): Promise<Partial<T>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  const result = schema.safeParse(parseJsonText(text));
  if (!result.success) {
    throw new ValidationError(
      'The request does not pass validation',
      issuesToErrors(result.error.issues, []),
    );
  }
  return result.data;
}
