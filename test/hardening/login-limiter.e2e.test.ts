/**
 * End to end, on a real socket: the login limiter counts an attempt before its password check, so
 * concurrency cannot buy more guesses; it locks an email per client address, so an attacker's
 * guesses do not lock the user out from elsewhere; it slows guesses of one email from many addresses;
 * and it audits refusals without letting them flood the audit trail; and no flood of attempts from
 * elsewhere makes it forget a locked window. Client addresses are real: each request binds its
 * socket to a chosen 127.0.0.x on Linux loopback.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { adminRequest, loginAsAdmin } from '../../server/src/testing.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const PASSWORD = 'right-password-1';
/** The server's default: password checks per email and address in 15 minutes. */
const N = 10;

interface Attempt {
  status: number;
  retryAfter: string | undefined;
}

/** POSTs a login from `localAddress`, on a connection of its own unless an `agent` is given. */
function login(
  url: string,
  email: string,
  password: string,
  localAddress: string,
  agent: http.Agent | false = false,
): Promise<Attempt> {
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/api/v1/auth/login`,
      {
        method: 'POST',
        agent,
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const count = (attempts: Attempt[], status: number) => attempts.filter((a) => a.status === status).length;

interface AuditItem {
  action: string;
  resource: { key: string };
  after: { client?: string; limit?: string } | null;
}

describe('the login limiter under attack', () => {
  let server: RunningServer;
  let dir: string;
  let admin: string;

  const audit = async (action: string, email: string) =>
    (
      await adminRequest<{ items: AuditItem[] }>(
        server.url,
        admin,
        'GET',
        `/api/v1/audit?action=${action}&resource=${encodeURIComponent(email)}&limit=500`,
      )
    ).body.items;

  const metric = async (reason: string) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = new RegExp(`ringflag_auth_refused_total\\{kind="login",reason="${reason}"\\} (\\d+)`).exec(
      text,
    );
    return Number(line?.[1] ?? 0);
  };

  async function createUser(email: string) {
    const res = await adminRequest(server.url, admin, 'POST', '/api/v1/users', {
      email,
      password: PASSWORD,
      role: 'admin',
    });
    expect(res.status).toBe(201);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-login-limiter-'));
    server = await startServer({ db: join(dir, 'ringflag.db'), admin: ADMIN, logLevel: 'silent' });
    admin = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks at most N passwords of 300 concurrent attempts; the right one sent during the burst is refused', async () => {
    const email = 'burst@example.com';
    await createUser(email);
    const wrong = Array.from({ length: 300 }, (_, i) => login(server.url, email, `wrong-${i}`, '127.0.0.11'));
    // A first 429 proves the limit is reached; the right password, sent while the burst is still
    // being checked, must not get in.
    const refused = new Promise<void>((resolve) => {
      for (const attempt of wrong) void attempt.then((a) => a.status === 429 && resolve());
    });
    await Promise.race([refused, Promise.all(wrong)]);
    const right = await login(server.url, email, PASSWORD, '127.0.0.11');
    const attempts = await Promise.all(wrong);

    expect(count(attempts, 401)).toBeLessThanOrEqual(N);
    expect(count(attempts, 401) + count(attempts, 429)).toBe(300);
    expect(right.status).toBe(429);
    expect(Number(right.retryAfter)).toBeGreaterThan(0);
    expect((await audit('auth.login_failed', email)).length).toBeLessThanOrEqual(N);
    // Refusals are audited once per limit and window, and all of them are counted.
    const refusals = await audit('auth.login_rate_limited', email);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.after).toMatchObject({ client: '127.0.0.11', limit: 'email_address' });
    expect(await metric('email_address')).toBeGreaterThanOrEqual(300 - N);
  });

  it("does not lock the user out from their address with an attacker's failures from another", async () => {
    const email = 'split@example.com';
    await createUser(email);
    const attacker = await Promise.all(
      Array.from({ length: 3 * N }, (_, i) => login(server.url, email, `guess-${i}`, '127.0.0.21')),
    );
    expect(count(attacker, 429)).toBeGreaterThanOrEqual(2 * N);
    expect((await login(server.url, email, PASSWORD, '127.0.0.21')).status).toBe(429);

    expect((await login(server.url, email, PASSWORD, '127.0.0.22')).status).toBe(200);
  });

  it('slows guesses of one email from many addresses, but lets the user in from an address they used', async () => {
    const email = 'spread@example.com';
    await createUser(email);
    expect((await login(server.url, email, PASSWORD, '127.0.0.39')).status).toBe(200);

    const addresses = ['127.0.0.31', '127.0.0.32', '127.0.0.33', '127.0.0.34', '127.0.0.35', '127.0.0.36'];
    const attempts = await Promise.all(
      addresses.flatMap((address) =>
        Array.from({ length: N }, (_, i) => login(server.url, email, `guess-${i}`, address)),
      ),
    );
    // Six addresses may each check N passwords; the account-wide backoff stops them after 2 × N
    // failures, then allows one check per doubling delay (1 s, 2 s, 4 s…: a few while the burst lasts).
    expect(count(attempts, 401)).toBeLessThanOrEqual(2 * N + 4);
    expect(count(attempts, 429)).toBeGreaterThanOrEqual(6 * N - (2 * N + 4));
    const refusals = await audit('auth.login_rate_limited', email);
    expect(refusals.filter((r) => r.after?.limit === 'email')).toHaveLength(1);

    expect((await login(server.url, email, PASSWORD, '127.0.0.39')).status).toBe(200);
  });

  it('keeps a locked email and address locked while another address floods the limiter with new emails', async () => {
    const email = 'victim@example.com';
    await createUser(email);
    const victim = await Promise.all(
      Array.from({ length: N }, (_, i) => login(server.url, email, `guess-${i}`, '127.0.0.41')),
    );
    expect(count(victim, 401)).toBe(N);
    expect((await login(server.url, email, PASSWORD, '127.0.0.41')).status).toBe(429);

    // More distinct emails than the limiter keeps windows (10,000), on a few kept-alive connections.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const flood = await Promise.all(
      Array.from({ length: 10_100 }, (_, i) =>
        login(server.url, `flood-${i}@example.com`, 'guess', '127.0.0.42', agent),
      ),
    );
    agent.destroy();
    expect(count(flood, 401)).toBe(5 * N);
    expect(count(flood, 429)).toBe(10_100 - 5 * N);

    expect((await login(server.url, email, PASSWORD, '127.0.0.41')).status).toBe(429);
  }, 60_000);
});
