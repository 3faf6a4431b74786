import { AppError, type FieldError } from './app-error.js';

/** The request does not pass validation; `errors` lists each field (400). */
export class ValidationError extends AppError {
  constructor(
    detail = 'The request is invalid',
    errors: FieldError[] = [],
    headers: Record<string, string> = {},
  ) {
    super(400, 'Validation failed', detail, errors, headers);
  }
}
