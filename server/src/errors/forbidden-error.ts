import { AppError, type FieldError } from './app-error.js';

/** Valid credentials without the needed role or scope (403). */
export class ForbiddenError extends AppError {
  constructor(detail = 'Not allowed', errors: FieldError[] = [], headers: Record<string, string> = {}) {
    super(403, 'Forbidden', detail, errors, headers);
  }
}
