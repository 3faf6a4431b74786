import { AppError, type FieldError } from './app-error.js';

/** A stale `If-Match` or version (412). */
export class PreconditionFailedError extends AppError {
  constructor(
    detail = 'The resource changed since it was read',
    errors: FieldError[] = [],
    headers: Record<string, string> = {},
  ) {
    super(412, 'Precondition failed', detail, errors, headers);
  }
}
