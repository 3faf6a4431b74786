import { AppError, type FieldError } from './app-error.js';

/** The resource does not exist (404). */
export class NotFoundError extends AppError {
  constructor(detail = 'Not found', errors: FieldError[] = [], headers: Record<string, string> = {}) {
    super(404, 'Not found', detail, errors, headers);
  }
}
