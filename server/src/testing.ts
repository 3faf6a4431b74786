/**
 * Helpers for tests against a running server (this package's and the end-to-end tests in /test).
 *
 * @example
 * const server = await startServer({ dbPath, admin: { email: 'admin@example.com', password: 'pw-123456' } });
 * const token = await loginAsAdmin(server.url, 'admin@example.com', 'pw-123456');
 * const sdkKey = await createSdkKey(server.url, token, 'production', 'server'); // rf_srv_…
 */

/**
 * `If-Match: *`, for a test that sets up a config or segment and does not care which version it
 * replaces (a replace must say which version it replaces, or that it means whatever is there).
 */
export const ANY_VERSION: Readonly<Record<string, string>> = { 'if-match': '*' };

/** Logs in through the admin API and returns the session JWT (send it as `Bearer`). */
export async function loginAsAdmin(baseUrl: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** Creates an SDK key through the admin API and returns the secret (`rf_srv_…` / `rf_cli_…`). */
export async function createSdkKey(
  baseUrl: string,
  token: string,
  environment: string,
  type: 'server' | 'client' = 'server',
): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/environments/${environment}/sdk-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type }),
  });
  if (response.status !== 201)
    throw new Error(`creating an SDK key failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}

/**
 * Sends an admin API request with a bearer token; returns status, headers and parsed JSON body.
 * `headers` adds to them, e.g. `{ 'if-match': '"3"' }`: a PUT of a config or segment must say which
 * version it replaces (or `*` for whatever is there).
 */
export async function adminRequest<T = unknown>(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...headers, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}
