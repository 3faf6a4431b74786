/**
 * End to end, on a real socket: a stream's response headers arrive at once, also when it has nothing
 * to send yet (a reconnect whose `Last-Event-ID` is current). Heartbeats are set 10 minutes apart, so
 * headers that waited for one could not arrive within the bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { createSdkKey, loginAsAdmin } from '../../server/src/testing.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const PROMPT_MS = 3_000;

/** Milliseconds until the response headers of a GET arrive, and its status and content type. */
function timeToHeaders(
  url: string,
  headers: Record<string, string>,
): Promise<{ ms: number; status: number; contentType: string | undefined }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      resolve({
        ms: performance.now() - started,
        status: response.statusCode ?? 0,
        contentType: response.headers['content-type'],
      });
      request.destroy();
    });
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    // A stream that never answers fails the test instead of hanging it.
    request.setTimeout(PROMPT_MS * 2, () => reject(new Error('no response headers')));
  });
}

describe('stream headers are flushed at once', () => {
  let server: RunningServer;
  let dir: string;
  let serverKey: string;
  let clientKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-stream-headers-'));
    server = await startServer({
      db: join(dir, 'ringflag.db'),
      admin: ADMIN,
      logLevel: 'silent',
      heartbeatMs: 600_000,
    });
    const token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
    serverKey = await createSdkKey(server.url, token, 'production', 'server');
    clientKey = await createSdkKey(server.url, token, 'production', 'client');
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the headers of an SDK stream whose Last-Event-ID is current without waiting for a heartbeat', async () => {
    const payload = await fetch(`${server.url}/sdk/v1/flags`, { headers: { authorization: serverKey } });
    const revision = JSON.parse(payload.headers.get('etag') ?? '""') as string;
    await payload.arrayBuffer();
    const answer = await timeToHeaders(`${server.url}/sdk/v1/stream`, {
      authorization: serverKey,
      'last-event-id': String(revision),
    });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/event-stream/);
    expect(answer.ms).toBeLessThan(PROMPT_MS);
  });

  it('sends the headers of a browser stream at once', async () => {
    const answer = await timeToHeaders(`${server.url}/client/v1/stream?key=${clientKey}`, {
      'last-event-id': '1',
    });
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(PROMPT_MS);
  });
});
