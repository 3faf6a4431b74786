import { z } from '@hono/zod-openapi';

/** One field-level problem: where (`rules[0].clauses[1].op`) and what. */
export const fieldErrorSchema = z
  .object({
    path: z.string().openapi({ description: 'Where, as a path: `rules[0].clauses[1].op`, `query.limit`' }),
    message: z.string(),
  })
  .openapi('FieldError');
export type FieldError = z.infer<typeof fieldErrorSchema>;

/** What an error becomes on the wire: an RFC 9457 problem document (`application/problem+json`). */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(fieldErrorSchema),
  })
  .openapi('Problem');
export type Problem = z.infer<typeof problemSchema>;

/**
 * The base of every error the application throws on purpose. `onError` turns it into problem+json;
 * anything that is not an AppError becomes a generic 500.
 *
 * @example
 * throw new NotFoundError(`no flag "${key}"`);
 */
export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[];
  /** Extra response headers, such as `Retry-After`. */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    title: string,
    detail: string,
    errors: FieldError[] = [],
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = new.target.name;
    this.status = status;
    this.title = title;
    this.errors = errors;
    this.headers = headers;
  }

  /** A stable URI naming the kind of problem. */
  get type(): string {
    return `https://ringflag.dev/problems/${this.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  }

  toJSON(): Problem {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      errors: this.errors,
    };
  }
}
