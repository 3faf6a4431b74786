import { AppError, type FieldError } from './app-error.js';

/** A body over the size limit (413). */
export class PayloadTooLargeError extends AppError {
  constructor(
    detail = 'The request body is too large',
    errors: FieldError[] = [],
    headers: Record<string, string> = {},
  ) {
    super(413, 'Payload too large', detail, errors, headers);
  }
}
