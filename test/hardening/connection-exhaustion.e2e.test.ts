/**
 * End to end, against the real server as a child process started under a low open-file limit
 * (`ulimit -n 512`): far more streams and slow connections than the process has file descriptors, from
 * several addresses and keys. The server refuses streams past its line with a 503 problem, closes the
 * oldest slow connections to keep headroom, and so `/healthz` and login still answer; the log says so
 * and `/metrics` counts it. Addresses are real: sockets bind 127.0.0.x on Linux loopback.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdkKey, loginAsAdmin } from '../../server/src/testing.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  type RingflagProcess,
  startRingflagProcess,
} from '../support/ringflag-process.js';

const FD_LIMIT = 512;
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const STREAMS = 600;
const SLOW = 600;

/** What became of a stream request: its status line's code, or 'closed' when the socket was closed first. */
function openStream(
  port: number,
  localAddress: string,
  key: string,
  sockets: net.Socket[],
): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    let head = '';
    socket.on('connect', () =>
      socket.write(`GET /sdk/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${key}\r\n\r\n`),
    );
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (match) resolve(Number(match[1]));
    });
    socket.on('error', () => resolve('closed'));
    socket.on('close', () => resolve('closed'));
  });
}

/** A connection that starts a request and never finishes its headers; resolves once connected. */
function openSlow(port: number, localAddress: string, sockets: net.Socket[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    socket.on('connect', () => {
      socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      resolve();
    });
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}

/**
 * A request on a connection of its own (`agent: false`), as a monitor or an admin's browser would open:
 * a pooled keep-alive connection from earlier requests would need no new file descriptor.
 */
function freshRequest(
  url: string,
  options: { method?: string; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: options.body ? { 'content-type': 'application/json' } : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function metric(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('connections beyond the file-descriptor limit', () => {
  let server: RingflagProcess;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    server = await startRingflagProcess({ fdLimit: FD_LIMIT });
  }, 60_000);

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server?.kill();
  });

  it('refuses streams and sheds slow connections, so /healthz and login still answer; logs and counts it', async () => {
    const token = await loginAsAdmin(server.base, ADMIN_EMAIL, ADMIN_PASSWORD);
    const keys = [
      await createSdkKey(server.base, token, 'production', 'server'),
      await createSdkKey(server.base, token, 'staging', 'server'),
      await createSdkKey(server.base, token, 'development', 'server'),
    ];

    const streams = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) =>
        openStream(server.port, ADDRESSES[i % ADDRESSES.length]!, keys[i % keys.length]!, sockets),
      ),
    );
    const admitted = streams.filter((s) => s === 200).length;
    const refused = streams.filter((s) => s === 503).length;
    expect(admitted + refused + streams.filter((s) => s === 'closed').length).toBe(STREAMS);
    expect(refused, `admitted ${admitted}`).toBeGreaterThan(0);
    expect(admitted).toBeLessThan(FD_LIMIT);

    await Promise.all(
      Array.from({ length: SLOW }, (_, i) =>
        openSlow(server.port, ADDRESSES[i % ADDRESSES.length]!, sockets),
      ),
    );

    // More connections were asked for than the process has descriptors; the admin still gets in.
    expect(STREAMS + SLOW).toBeGreaterThan(FD_LIMIT);
    const health = await withTimeout(freshRequest(`${server.base}/healthz`), 5_000, '/healthz');
    expect(health.status).toBe(200);
    const login = await withTimeout(
      freshRequest(`${server.base}/api/v1/auth/login`, {
        method: 'POST',
        body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
      }),
      5_000,
      'login',
    );
    expect(login.status).toBe(200);

    const metrics = (await withTimeout(freshRequest(`${server.base}/metrics`), 5_000, '/metrics')).body;
    expect(metric(metrics, 'ringflag_fd_exhaustion_total')).toBe(0);
    expect(metric(metrics, 'ringflag_open_streams')).toBe(admitted);
    await expect.poll(() => server.output()).toMatch(/connection capacity reached/);
  }, 120_000);
});
