export { AppError, type FieldError, type Problem } from './app-error.js';
export { ConflictError } from './conflict-error.js';
export { ForbiddenError } from './forbidden-error.js';
export { NotFoundError } from './not-found-error.js';
export { PayloadTooLargeError } from './payload-too-large-error.js';
export { PreconditionFailedError } from './precondition-failed-error.js';
export { RateLimitedError } from './rate-limited-error.js';
export { UnauthorizedError } from './unauthorized-error.js';
export { ValidationError } from './validation-error.js';
