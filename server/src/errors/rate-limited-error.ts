import { AppError, type FieldError } from './app-error.js';

/** Too many attempts; retry after the `Retry-After` seconds (429). */
export class RateLimitedError extends AppError {
  constructor(detail = 'Too many requests', errors: FieldError[] = [], headers: Record<string, string> = {}) {
    super(429, 'Too many requests', detail, errors, headers);
  }
}
