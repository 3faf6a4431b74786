import { issuesToErrors } from '@ringflag/sdk-node/engine';
import { ValidationError } from '../../errors/index.js';
import { parseJsonText } from '../../http/json-body.js';
import { reviewBodySchema } from './change-request-schemas.js';

/**
 * The comment of an optional `{comment}` body (review actions, archive, unarchive). Parsed here rather
 * than by a route validator, so that a pipeline may POST with no body at all, with or without a JSON
 * content type.
 *
 * @example
 * const comment = await commentOf(c); // undefined for an empty body
 */
export async function commentOf(c: { req: { text(): Promise<string> } }): Promise<string | undefined> {
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  const result = reviewBodySchema.safeParse(parseJsonText(text));
  if (!result.success) {
    throw new ValidationError(
      'The request does not pass validation',
      issuesToErrors(result.error.issues, []),
    );
  }
  return result.data.comment;
}
