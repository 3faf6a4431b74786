/**
 * End to end: the browser surface of the real server (in process, on 127.0.0.1, a real SQLite file)
 * over real sockets: a client key's evaluation, streams that get a `put` and then only their own
 * changes, and CORS for an allowed and a disallowed origin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@ringflag/server';
import { ANY_VERSION, adminRequest, createSdkKey, loginAsAdmin } from '@ringflag/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const ENV = 'development';
const ALLOWED = 'https://app.example.com';

type Result = { value: unknown; variant: string | null; reason: { kind: string } };
interface SseEvent {
  event: string;
  id: number;
  data: { revision: number; flags: Record<string, Result | null> };
}

let server: RunningServer;
let dir: string;
let token: string;
let clientKey: string;

const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
  const res = await adminRequest(server.url, token, method, path, body, headers);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

/** A raw SSE connection: events in arrival order, and a way to wait for the next one. */
function openStream(context: Record<string, unknown>, headers: Record<string, string> = {}) {
  const encoded = Buffer.from(JSON.stringify(context)).toString('base64url');
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  let responseHeaders: http.IncomingHttpHeaders = {};
  let status = 0;
  const request = http.get(
    `${server.url}/client/v1/stream?key=${clientKey}&context=${encoded}`,
    { headers },
    (res) => {
      status = res.statusCode ?? 0;
      responseHeaders = res.headers;
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (frame.startsWith(':')) continue;
          const fields = Object.fromEntries(
            frame
              .split('\n')
              .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
          );
          events.push({
            event: fields.event ?? '',
            id: Number(fields.id),
            data: JSON.parse(fields.data ?? '{}'),
          });
          for (const wake of waiters.splice(0)) wake();
        }
      });
    },
  );
  request.on('error', () => {});
  return {
    events,
    get status() {
      return status;
    },
    get headers() {
      return responseHeaders;
    },
    /** Resolves once `count` events have arrived. */
    async waitFor(count: number, timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${events.length} of ${count} events arrived`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close: () => request.destroy(),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringflag-client-api-'));
  server = await startServer({ db: join(dir, 'ringflag.db'), port: 0, admin: ADMIN, logLevel: 'silent' });
  token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  clientKey = await createSdkKey(server.url, token, ENV, 'client');
  await admin('PATCH', `/api/v1/environments/${ENV}`, { corsOrigins: [ALLOWED] });
  await admin('POST', '/api/v1/flags', { key: 'banner', kind: 'boolean', clientSide: true });
  await admin(
    'PUT',
    `/api/v1/flags/banner/environments/${ENV}`,
    {
      enabled: true,
      offVariation: 'off',
      targets: [{ variation: 'on', keys: ['user-1'] }],
      fallthrough: { variation: 'off' },
    },
    ANY_VERSION,
  );
  await admin('POST', '/api/v1/flags', { key: 'header', kind: 'boolean', clientSide: true });
  await admin('POST', `/api/v1/flags/header/environments/${ENV}/toggle`, { enabled: true });
  await admin('POST', '/api/v1/flags', { key: 'server-only', kind: 'boolean' });
  await admin('POST', `/api/v1/flags/server-only/environments/${ENV}/toggle`, { enabled: true });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('client API against the real server', () => {
  it("shows a client key only its environment's clientSide flags, evaluated", async () => {
    const res = await fetch(`${server.url}/client/v1/evaluate`, {
      method: 'POST',
      headers: { authorization: clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { key: 'user-1' } }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { flags: Record<string, Result> };
    expect(Object.keys(body.flags).sort()).toEqual(['banner', 'header']);
    expect(body.flags.banner).toEqual({ value: true, variant: 'on', reason: { kind: 'TARGET_MATCH' } });
  });

  it('streams a put, then to each context only the flags that changed for it', async () => {
    const user1 = openStream({ key: 'user-1' });
    const user2 = openStream({ key: 'user-2' });
    await user1.waitFor(1);
    await user2.waitFor(1);
    expect(user1.status).toBe(200);
    const put = user1.events[0] as SseEvent;
    expect(put.event).toBe('put');
    expect(put.data.flags.banner?.value).toBe(true);
    expect(user2.events[0]?.data.flags.banner?.value).toBe(false);

    // Taking user-1 out of the targets changes banner for user-1 only; server-only is invisible.
    await admin(
      'PUT',
      `/api/v1/flags/banner/environments/${ENV}`,
      {
        enabled: true,
        offVariation: 'off',
        fallthrough: { variation: 'off' },
      },
      ANY_VERSION,
    );
    await admin('POST', `/api/v1/flags/server-only/environments/${ENV}/toggle`, { enabled: false });
    await admin('POST', `/api/v1/flags/header/environments/${ENV}/toggle`, { enabled: false });
    await user1.waitFor(3);
    await user2.waitFor(2);
    expect(user1.events.slice(1)).toEqual([
      {
        event: 'patch',
        id: put.id + 1,
        data: {
          revision: put.id + 1,
          flags: { banner: { value: false, variant: 'off', reason: { kind: 'FALLTHROUGH' } } },
        },
      },
      {
        event: 'patch',
        id: put.id + 3,
        data: {
          revision: put.id + 3,
          flags: { header: { value: false, variant: 'off', reason: { kind: 'OFF' } } },
        },
      },
    ]);
    // user-2's banner did not change, so its first patch is the header toggle.
    expect(user2.events.slice(1).map((event) => [event.id, Object.keys(event.data.flags)])).toEqual([
      [put.id + 3, ['header']],
    ]);
    user1.close();
    user2.close();
  });

  it('sends CORS headers to an allowed origin and none to another', async () => {
    const evaluate = (origin: string) =>
      fetch(`${server.url}/client/v1/evaluate`, {
        method: 'POST',
        headers: { origin, authorization: clientKey, 'content-type': 'application/json' },
        body: JSON.stringify({ context: {} }),
      });
    const allowed = await evaluate(ALLOWED);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(allowed.headers.get('access-control-expose-headers')).toBe('ETag');
    const refused = await evaluate('https://evil.example.com');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await fetch(`${server.url}/client/v1/evaluate`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED);

    const stream = openStream({ key: 'user-3' }, { origin: ALLOWED });
    await stream.waitFor(1);
    expect(stream.headers['access-control-allow-origin']).toBe(ALLOWED);
    stream.close();
    const other = openStream({ key: 'user-3' }, { origin: 'https://evil.example.com' });
    await other.waitFor(1);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    other.close();
  });
});
