/**
 * End to end, on a real socket: an oversized body gets a 413 problem on every surface, and the
 * keep-alive connection it came on serves the next request (the body is drained, not the socket
 * destroyed). Each case sends both requests through one agent with a single socket and checks that the
 * second request reused it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { createSdkKey, loginAsAdmin } from '../../server/src/testing.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const LIMIT = 64 * 1024;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
  localPort: number | undefined;
}

function send(
  agent: http.Agent,
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: Buffer },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method, agent, headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            reusedSocket: request.reusedSocket,
            localPort: request.socket?.localPort,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('the body limit keeps the connection', () => {
  let server: RunningServer;
  let dir: string;
  let serverKey: string;
  let clientKey: string;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-body-limit-'));
    server = await startServer({
      db: join(dir, 'ringflag.db'),
      admin: ADMIN,
      bodyLimitBytes: LIMIT,
      logLevel: 'silent',
    });
    token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
    serverKey = await createSdkKey(server.url, token, 'production', 'server');
    clientKey = await createSdkKey(server.url, token, 'production', 'client');
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Over every surface's limit (the browser's event batches may be larger than the rest).
  const oversized = Buffer.alloc(1024 * 1024, 'a');
  const surfaces = (): { name: string; path: string; headers: Record<string, string> }[] => [
    { name: 'admin API', path: '/api/v1/flags', headers: { authorization: `Bearer ${token}` } },
    { name: 'login (no credentials)', path: '/api/v1/auth/login', headers: {} },
    { name: 'server SDK', path: '/sdk/v1/events', headers: { authorization: serverKey } },
    { name: 'browser SDK', path: '/client/v1/events', headers: { authorization: clientKey } },
  ];

  for (const name of ['admin API', 'login (no credentials)', 'server SDK', 'browser SDK']) {
    it(`answers 413 and serves the next request on the same socket: ${name}`, async () => {
      const surface = surfaces().find((s) => s.name === name)!;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await send(agent, `${server.url}${surface.path}`, {
          method: 'POST',
          headers: {
            ...surface.headers,
            'content-type': 'application/json',
            'content-length': String(oversized.length),
          },
          body: oversized,
        });
        expect(first.status, surface.name).toBe(413);
        expect(first.headers['content-type']).toBe('application/problem+json');
        expect(JSON.parse(first.body)).toMatchObject({ status: 413 });
        expect(first.headers.connection).not.toBe('close');

        const second = await send(agent, `${server.url}/healthz`, { method: 'GET' });
        expect(second.status, surface.name).toBe(200);
        expect(second.reusedSocket, `${surface.name}: the second request reused the connection`).toBe(true);
        expect(second.localPort).toBe(first.localPort);
      } finally {
        agent.destroy();
      }
    });
  }

  it('closes honestly after an oversized chunked body: 413 with Connection: close', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(agent, `${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        body: oversized,
      });
      expect(first.status).toBe(413);
      expect(first.headers.connection).toBe('close');
      const second = await send(agent, `${server.url}/healthz`, { method: 'GET' });
      expect(second.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});
