import { AppError, type FieldError } from './app-error.js';

/** The change conflicts with the current state (409). */
export class ConflictError extends AppError {
  constructor(detail = 'Conflict', errors: FieldError[] = [], headers: Record<string, string> = {}) {
    super(409, 'Conflict', detail, errors, headers);
  }
}
