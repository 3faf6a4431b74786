import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isDatabaseUnavailable, rootMessage } from '../db/unavailable.js';
import { AppError, type Problem, ServiceUnavailableError } from '../errors/index.js';
import type { Logger } from '../logger.js';
import { jsonBodyProblem } from './json-body.js';

/** The media type of every error response. */
export const PROBLEM_JSON = 'application/problem+json';

/** The body of a problem+json response, for writers that answer on a Node response directly. */
export function problemResponseText(problem: Problem): string {
  return JSON.stringify(problem);
}

/** Builds a problem+json response. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_JSON, ...headers },
  });
}

/**
 * The one place errors become responses: typed errors keep their status and field errors, Hono's
 * own (malformed JSON, unsupported media type) keep their status, anything else is a 500 that says
 * nothing about its cause (the log has it).
 *
 * @example
 * app.onError(errorHandler(logger));
 */
export function errorHandler(logger: Logger) {
  return function onError(error: Error, c: Context): Response {
    if (error instanceof AppError) return problemResponse(error.toJSON(), error.headers);
    if (error instanceof HTTPException) {
      // Hono's validator reports every unparsable body alike; the parser knows where it went wrong.
      const bodyProblem = jsonBodyProblem(c);
      if (bodyProblem) return problemResponse(bodyProblem.toJSON());
      const status = error.status as ContentfulStatusCode;
      return problemResponse({
        type: 'about:blank',
        title: error.status === 400 ? 'Bad request' : error.message || 'Error',
        status,
        detail: error.message || 'The request could not be processed',
        errors: [],
      });
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn('database unavailable', {
        method: c.req.method,
        path: c.req.path,
        error: rootMessage(error),
      });
      const unavailable = new ServiceUnavailableError();
      return problemResponse(unavailable.toJSON(), unavailable.headers);
    }
    logger.error('unhandled error', {
      method: c.req.method,
      path: c.req.path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return problemResponse({
      type: 'about:blank',
      title: 'Internal server error',
      status: 500,
      detail: 'Something went wrong on our side; it has been logged',
      errors: [],
    });
  };
}
