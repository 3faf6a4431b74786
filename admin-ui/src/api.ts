/**
 * The one way the admin UI talks to the server: same-origin fetch with the session cookie, the CSRF
 * header on unsafe methods, JSON in and out, and every failure turned into an {@link APIError}.
 */

/** One field-level problem from a problem+json body: where (`rules[0].clauses[1].op`) and what. */
export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem document as the Ringflag API sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: FieldError[];
}

/**
 * A failed API call. `status` 0 means the server could not be reached.
 *
 * @example
 * try { await api.put(path, body) } catch (e) { if (e instanceof APIError) e.errors }
 */
export class APIError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly type: string;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'APIError';
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors;
    this.type = problem.type;
  }

  /** Builds the error from a failed response, whether or not its body is problem+json. */
  static async fromResponse(response: Response): Promise<APIError> {
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return new APIError(toProblem(response.status, response.statusText, body, text));
  }

  /** The error of a request that never got an answer. */
  static network(cause: unknown): APIError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new APIError({
      type: 'about:blank',
      title: 'Cannot reach the server',
      status: 0,
      detail: `The request did not reach Ringflag (${reason}). Check your connection and try again.`,
      errors: [],
    });
  }
}

function toProblem(status: number, statusText: string, body: unknown, text: string): Problem {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const errors = Array.isArray(record.errors)
    ? record.errors.flatMap((error): FieldError[] => {
        const item = error as Record<string, unknown>;
        return typeof item?.path === 'string' && typeof item.message === 'string'
          ? [{ path: item.path, message: item.message }]
          : [];
      })
    : [];
  const title = typeof record.title === 'string' ? record.title : statusText || `HTTP ${status}`;
  const detail =
    typeof record.detail === 'string' ? record.detail : text.slice(0, 200) || `The server answered ${status}`;
  return {
    type: typeof record.type === 'string' ? record.type : 'about:blank',
    title,
    status,
    detail,
    errors,
  };
}

/** The CSRF token the server set at login (a readable cookie, unlike the HttpOnly session). */
export function csrfToken(cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'rf_csrf') return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** Whether this browser holds a session (without asking the server, which would log a 401). */
export function hasSession(): boolean {
  return csrfToken() !== undefined;
}

const SAFE = new Set(['GET', 'HEAD']);

/**
 * The first path segments of the admin API that act in a project (as the server's project-path.ts
 * lists them): `/flags/x` in project `payments` is `/api/v1/projects/payments/flags/x`. Everything
 * else (`/users`, `/projects`, `/auth/…`) belongs to the organisation and is never prefixed.
 */
const PROJECT_SCOPED = new Set([
  'flags',
  'segments',
  'environments',
  'change-requests',
  'release-approvals',
  'api-tokens',
  'audit',
  'insights',
  'me',
]);

/** The project the admin UI shows (set by the project pages from their URL); null: none chosen. */
let currentProject: string | null = null;

/** Sets the project that project-scoped calls go to; null sends them unprefixed (the default project). */
export function setApiProject(project: string | null): void {
  currentProject = project;
}

/** The project that project-scoped calls go to now. */
export function apiProject(): string | null {
  return currentProject;
}

/**
 * The API path of `path` in `project`: project-scoped paths get `/projects/{project}` in front,
 * organisation paths and a null project leave it as it is (the server's default project).
 *
 * @example
 * projectApiPath('/flags/x', 'payments'); // '/projects/payments/flags/x'
 * projectApiPath('/users', 'payments'); // '/users'
 */
export function projectApiPath(path: string, project: string | null): string {
  if (project === null) return path;
  const first = /^\/([^/?#]+)/.exec(path)?.[1];
  return first !== undefined && PROJECT_SCOPED.has(first)
    ? `/projects/${encodeURIComponent(project)}${path}`
    : path;
}

/** Options of {@link request}. */
export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** The project of a project-scoped path; the current one ({@link setApiProject}) when absent. */
  project?: string | null;
}

/** A successful response: its status and parsed body. */
export interface APIResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Builds `/api/v1/...?query`, leaving out undefined and empty values; a project-scoped path goes to
 * `project` (the current one unless given, see {@link projectApiPath}).
 */
export function apiUrl(
  path: string,
  query: RequestOptions['query'] = {},
  project: string | null = currentProject,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `/api/v1${projectApiPath(path, project)}${search ? `?${search}` : ''}`;
}

/**
 * Sends one request to the admin API and returns status and body, or throws an {@link APIError}.
 *
 * @example
 * const { body } = await request<Flag>('POST', '/flags', { body: { key: 'x', kind: 'boolean' } });
 */
export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<APIResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE.has(method)) {
    const csrf = csrfToken();
    if (csrf !== undefined) headers['x-csrf-token'] = csrf;
  }
  let response: Response;
  try {
    response = await fetch(
      apiUrl(path, options.query, options.project === undefined ? currentProject : options.project),
      {
        method,
        headers,
        credentials: 'same-origin',
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      },
    );
  } catch (error) {
    throw APIError.network(error);
  }
  if (!response.ok) throw await APIError.fromResponse(response);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
  };
}

/** Shorthands returning only the body. */
export const api = {
  get: async <T>(path: string, query?: RequestOptions['query']) =>
    (await request<T>('GET', path, { query })).body,
  post: async <T>(path: string, body?: unknown) =>
    (await request<T>('POST', path, { body: body ?? {} })).body,
  put: async <T>(path: string, body: unknown) => (await request<T>('PUT', path, { body })).body,
  patch: async <T>(path: string, body: unknown) => (await request<T>('PATCH', path, { body })).body,
  delete: async <T>(path: string) => (await request<T>('DELETE', path)).body,
};
