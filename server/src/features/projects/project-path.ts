import { getPath } from 'hono/utils/url';

/**
 * The first segments of the admin API's project-scoped routes. Each is answered at
 * `/api/v1/projects/{project}/…` for a project, and at `/api/v1/…` for the `default` project (every
 * URL from before projects keeps working).
 */
export const PROJECT_SCOPED_RESOURCES = [
  'flags',
  'segments',
  'environments',
  'change-requests',
  'release-approvals',
  'api-tokens',
  'audit',
  'insights',
  'me',
] as const;

/** A project key: like a flag key, at most 64 characters. */
export const PROJECT_KEY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const resources = PROJECT_SCOPED_RESOURCES.join('|');
/** `/api/v1/projects/{project}/{resource}…`: routed as `/api/v1/{resource}…` in that project. */
const SCOPED = new RegExp(`^/api/v1/projects/([^/]+)(/(?:${resources})(?:/.*)?)$`);
/** `/api/v1/{resource}…`: the default project. */
const LEGACY = new RegExp(`^/api/v1/(?:${resources})(?:/.*)?$`);
/** `/api/v1/projects/{project}` and what is below it (members). */
const PROJECT = /^\/api\/v1\/projects\/([^/]+)(?:\/.*)?$/;

/**
 * The path the router sees: `/api/v1/projects/{project}/flags/x` is routed as `/api/v1/flags/x`, so
 * every project-scoped route is written once. Pass it as Hono's `getPath`.
 */
export function routedPath(request: Request): string {
  const path = getPath(request);
  const scoped = SCOPED.exec(path);
  return scoped ? `/api/v1${scoped[2]}` : path;
}

/** Whether a request's URL names its project (`/api/v1/projects/{project}/…`) rather than meaning the default one. */
export function namesProject(request: Request): boolean {
  return PROJECT.test(getPath(request));
}

/**
 * The key of the project a request to the admin API acts in: the one its URL names, `default` for a
 * project-scoped route without one, undefined for organisation routes (users, the project list, auth).
 *
 * @example
 * projectKeyOf('/api/v1/projects/payments/flags'); // 'payments'
 * projectKeyOf('/api/v1/flags'); // 'default'
 * projectKeyOf('/api/v1/users'); // undefined
 */
export function projectKeyOf(request: Request): string | undefined {
  const path = getPath(request);
  const project = PROJECT.exec(path);
  if (project) return project[1];
  return LEGACY.test(path) ? 'default' : undefined;
}
