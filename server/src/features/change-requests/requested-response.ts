import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { DEFAULT_PROJECT } from '../projects/project-scope.js';
import type { ChangeRequest } from './change-request.js';

/**
 * The answer to a write that left a change request instead of applying: 202, the request, and its
 * `Location`. Typed as JSON, so a route documenting 202 with the change request schema accepts it.
 *
 * @example
 * if (outcome.kind === 'requested') return requestedResponse(c, outcome.changeRequest);
 */
export function requestedResponse(c: Context<AppEnv>, changeRequest: ChangeRequest) {
  const project = c.get('project');
  const base =
    !project || project.key === DEFAULT_PROJECT.key ? '/api/v1' : `/api/v1/projects/${project.key}`;
  c.header('Location', `${base}/change-requests/${changeRequest.id}`);
  return c.json(changeRequest, 202);
}
