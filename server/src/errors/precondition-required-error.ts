import { AppError, type FieldError } from './app-error.js';

/** A replace that says neither which version it replaces nor `If-Match: *` (428). */
export class PreconditionRequiredError extends AppError {
  constructor(detail: string, errors: FieldError[] = []) {
    super(428, 'Precondition required', detail, errors);
  }
}
