import { AppError, type FieldError } from './app-error.js';

/** No valid credentials (401). */
export class UnauthorizedError extends AppError {
  constructor(
    detail = 'Authentication is required',
    errors: FieldError[] = [],
    headers: Record<string, string> = {},
  ) {
    super(401, 'Unauthorized', detail, errors, headers);
  }
}
