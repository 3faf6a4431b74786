/**
 * End to end: the real server on 127.0.0.1:0 with a temporary SQLite file, a raw HTTP SSE client on
 * /sdk/v1/stream, and changes made through the admin API.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../server/src/index.js';
import { adminRequest, createSdkKey, loginAsAdmin } from '../server/src/testing.js';

interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

/** A raw SSE client: parses frames from a plain node:http response. */
class RawSseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  private buffer = '';
  private waiters: (() => void)[] = [];
  private request: http.ClientRequest | undefined;

  open(url: string, headers: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        this.status = response.statusCode ?? 0;
        this.headers = response.headers;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => this.feed(chunk));
        response.on('error', () => {});
        resolve();
      });
      this.request.on('error', reject);
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { event: 'message', data: '' };
      let isEvent = false;
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) {
          event.event = line.slice(7);
          isEvent = true;
        } else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('data: ')) event.data += line.slice(6);
      }
      if (isEvent) this.events.push(event);
      end = this.buffer.indexOf('\n\n');
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Waits until `predicate` holds (the test timeout bounds the wait). */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.request?.destroy();
  }
}

const ADMIN = { email: 'admin@example.com', password: 'stream-test-password' };

describe('SDK stream through the real server', () => {
  let server: RunningServer;
  let dir: string;
  let token: string;
  let sdkKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-stream-'));
    server = await startServer({ db: join(dir, 'ringflag.db'), port: 0, admin: ADMIN, heartbeatMs: 400 });
    token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
    const created = await adminRequest(server.url, token, 'POST', '/api/v1/flags', {
      key: 'new-checkout',
      kind: 'boolean',
    });
    expect(created.status).toBe(201);
    sdkKey = await createSdkKey(server.url, token, 'production', 'server');
    // Writes here apply at once; approvals are tested in server/src/features/change-requests.
    await adminRequest(server.url, token, 'PATCH', '/api/v1/environments/production', {
      requireApproval: false,
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const toggle = (enabled: boolean) =>
    adminRequest(server.url, token, 'POST', '/api/v1/flags/new-checkout/environments/production/toggle', {
      enabled,
    });

  it('sends a put, then a patch for each change, then catches up a reconnect with Last-Event-ID', async () => {
    const client = new RawSseClient();
    await client.open(`${server.url}/sdk/v1/stream`, { authorization: sdkKey });
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toContain('text/event-stream');
    await client.until(() => client.events.length >= 1);
    const put = client.events[0]!;
    expect(put.event).toBe('put');
    const payload = JSON.parse(put.data) as { revision: number; flags: Record<string, { enabled: boolean }> };
    expect(put.id).toBe(String(payload.revision));
    expect(payload.flags['new-checkout']?.enabled).toBe(false);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('ringflag_sse_connections{environment="production"} 1');

    expect((await toggle(true)).status).toBe(200);
    await client.until(() => client.events.length >= 2);
    const patch = client.events[1]!;
    expect(patch.event).toBe('patch');
    const change = JSON.parse(patch.data) as {
      revision: number;
      flags: Record<string, { enabled: boolean; version: number }>;
      segments: object;
    };
    expect(change.revision).toBe(payload.revision + 1);
    expect(patch.id).toBe(String(change.revision));
    expect(change.flags['new-checkout']).toMatchObject({ enabled: true, version: 2 });
    expect(change.segments).toEqual({});

    await client.until(() => client.comments.includes('heartbeat'));
    client.close();

    // Missed while away: one change. The reconnect gets exactly that patch, not a fresh put.
    expect((await toggle(false)).status).toBe(200);
    const again = new RawSseClient();
    await again.open(`${server.url}/sdk/v1/stream`, {
      authorization: sdkKey,
      'last-event-id': patch.id as string,
    });
    await again.until(() => again.events.length >= 1);
    expect(again.events[0]?.event).toBe('patch');
    const missed = JSON.parse(again.events[0]!.data) as {
      revision: number;
      flags: Record<string, { enabled: boolean }>;
    };
    expect(missed.revision).toBe(change.revision + 1);
    expect(missed.flags['new-checkout']?.enabled).toBe(false);
    again.close();

    // An id the server cannot account for (here: from the future) gets a fresh put.
    const stale = new RawSseClient();
    await stale.open(`${server.url}/sdk/v1/stream`, { authorization: sdkKey, 'last-event-id': '99999' });
    await stale.until(() => stale.events.length >= 1);
    expect(stale.events[0]?.event).toBe('put');
    expect(stale.events[0]?.id).toBe(String(missed.revision));
    stale.close();
  });

  it('refuses client keys and closes streams of a revoked key', async () => {
    const clientKey = await createSdkKey(server.url, token, 'production', 'client');
    const refused = new RawSseClient();
    await refused.open(`${server.url}/sdk/v1/stream`, { authorization: clientKey });
    expect(refused.status).toBe(403);
    refused.close();

    const keys = await adminRequest<{ items: { id: number; prefix: string }[] }>(
      server.url,
      token,
      'GET',
      '/api/v1/environments/production/sdk-keys',
    );
    const own = keys.body.items.find((key) => sdkKey.startsWith(key.prefix.replace('…', '')));
    const client = new RawSseClient();
    await client.open(`${server.url}/sdk/v1/stream`, { authorization: `Bearer ${sdkKey}` });
    await client.until(() => client.events.length >= 1);
    const ended = new Promise<void>((resolve) => {
      (client as unknown as { request: http.ClientRequest }).request.on('close', () => resolve());
    });
    const revoked = await adminRequest(
      server.url,
      token,
      'DELETE',
      `/api/v1/environments/production/sdk-keys/${own?.id}`,
    );
    expect(revoked.status).toBe(200);
    await ended;
    const after = new RawSseClient();
    await after.open(`${server.url}/sdk/v1/stream`, { authorization: sdkKey });
    expect(after.status).toBe(401);
    after.close();
  });
});
