import { PROJECT_SCOPED_RESOURCES } from '../features/projects/project-path.js';
import { CliError, fromProblem } from './cli-error.js';
import { EXIT } from './exit-codes.js';

/** The project the remote commands act in when none is named (`--project`, `RINGFLAG_PROJECT`). */
export const DEFAULT_PROJECT_KEY = 'default';

/** Where and as whom the remote commands talk to the server. */
export interface ApiClientOptions {
  /** `http://127.0.0.1:4280`; a trailing slash is ignored. */
  baseUrl: string;
  /** An API token `rf_api_…` (a session JWT works too). */
  token: string;
  /** The key of the project the project-scoped routes act in; default `default`. */
  project?: string;
  /** Per request; default 30 s. A request that takes longer counts as "server unreachable". */
  timeoutMs?: number;
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
}

/** A successful answer: 200, 201, 202 or 204. */
export interface ApiResponse<T> {
  status: number;
  body: T;
  /** The version in the `ETag` header, when there is one (configs and segments). */
  version: number | undefined;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as `If-Match: "<version>"` (optimistic concurrency on configs and segments). */
  ifMatch?: number;
  query?: Record<string, string | undefined>;
}

/**
 * The admin API (`/api/v1`) as the CLI uses it. Errors come out as {@link CliError}s. Callers write
 * the project-scoped routes without a project (`/api/v1/flags/x`); the client sends them to its
 * project (`/api/v1/projects/{project}/flags/x`), so every command acts in the one `--project` names.
 */
export interface ApiClient {
  readonly baseUrl: string;
  /** The key of the project the project-scoped routes go to. */
  readonly project: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  get<T>(path: string, query?: Record<string, string | undefined>): Promise<T>;
  /** Like `get`, but `undefined` on 404. */
  find<T>(path: string): Promise<T | undefined>;
}

/**
 * Builds the HTTP client of the remote commands: bearer auth, JSON bodies, problem+json errors
 * mapped to exit codes, and connection failures as "server unreachable" (exit 7).
 *
 * @example
 * const api = createApiClient({ baseUrl: 'http://127.0.0.1:4280', token: process.env.RINGFLAG_TOKEN! });
 * const flag = await api.get<FlagView>('/api/v1/flags/new-checkout');
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const project = options.project ?? DEFAULT_PROJECT_KEY;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function request<T>(
    method: string,
    path: string,
    init: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = new URL(`${baseUrl}${projectPath(path, project)}`);
    for (const [name, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token}`,
      accept: 'application/json, application/problem+json',
    };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.ifMatch !== undefined) headers['if-match'] = `"${init.ifMatch}"`;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new CliError(EXIT.unreachable, `cannot reach ${baseUrl}: ${describeNetworkError(error)}`);
    }
    const body = parseJson(text);
    if (response.status >= 400) throw fromProblem(response.status, body);
    if (response.status >= 300) {
      throw new CliError(
        EXIT.unexpected,
        `unexpected HTTP ${response.status} from ${method} ${url.pathname}`,
      );
    }
    return { status: response.status, body: body as T, version: versionOf(response.headers.get('etag')) };
  }

  return {
    baseUrl,
    project,
    request,
    async get<T>(path: string, query?: Record<string, string | undefined>) {
      return (await request<T>('GET', path, { query })).body;
    },
    async find<T>(path: string) {
      try {
        return (await request<T>('GET', path)).body;
      } catch (error) {
        if (error instanceof CliError && error.status === 404) return undefined;
        throw error;
      }
    },
  };
}

/** `/api/v1/{resource}…` for the project-scoped resources (flags, segments, environments …). */
const PROJECT_SCOPED_PATH = new RegExp(`^/api/v1(?=/(?:${PROJECT_SCOPED_RESOURCES.join('|')})(?:[/?]|$))`);

/**
 * The path of a request in a project: a project-scoped route goes below `/api/v1/projects/{project}`
 * (the default project too, so every request names its project); other routes (the project list,
 * users) stay as they are.
 *
 * @example
 * projectPath('/api/v1/flags/x', 'payments'); // '/api/v1/projects/payments/flags/x'
 * projectPath('/api/v1/projects', 'payments'); // '/api/v1/projects'
 */
export function projectPath(path: string, project: string): string {
  return path.replace(PROJECT_SCOPED_PATH, () => `/api/v1/projects/${seg(project)}`);
}

/** Encodes one path segment (`/api/v1/flags/${seg(key)}`). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function versionOf(etag: string | null): number | undefined {
  if (etag === null) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(etag.trim());
  return match ? Number(match[1]) : undefined;
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time';
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
    }
    return error.message;
  }
  return String(error);
}
