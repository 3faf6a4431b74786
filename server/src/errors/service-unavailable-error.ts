import { AppError } from './app-error.js';

/** The database cannot be reached right now; retry after the `Retry-After` seconds (503). */
export class ServiceUnavailableError extends AppError {
  constructor(detail = 'The database is unreachable; nothing was written. Retry shortly') {
    super(503, 'Service unavailable', detail, [], { 'retry-after': '2' });
  }
}
