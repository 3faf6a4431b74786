/**
 * End to end, on a real socket: the patches the server keeps for `Last-Event-ID` catch-up are bounded
 * in bytes, per environment and in all, however large and frequent the changes. An ~800 KB segment is
 * rewritten again and again; `/metrics` reports the bytes kept, which stay under the bounds; a reconnect
 * within what is kept still gets the patch it missed, and one from before it gets what it missed from
 * the change log instead of memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { createSdkKey, loginAsAdmin } from '../../server/src/testing.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const PER_ENVIRONMENT = 3 * 1024 * 1024;
const TOTAL = 5 * 1024 * 1024;
const REWRITES = 12;

/** A segment of ~800 KB: 19,000 distinct 40-character keys. */
function bigSegment(round: number): { key: string; included: string[] } {
  return {
    key: 'big',
    included: Array.from({ length: 19_000 }, (_, i) => `user-${round}-${String(i).padStart(32, '0')}`),
  };
}

/** Opens the SDK stream and returns the first event's name and id. */
async function firstEvent(
  url: string,
  key: string,
  lastEventId?: number,
): Promise<{ event: string; id: number }> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: key };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const response = await fetch(`${url}/sdk/v1/stream`, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before its first event: ${text.slice(0, 200)}`);
      text += decoder.decode(value, { stream: true });
      const match = /event: (\w+)\nid: (\d+)\n/.exec(text);
      if (match) return { event: match[1]!, id: Number(match[2]) };
    }
  } finally {
    controller.abort();
  }
}

function historyBytes(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const match of metrics.matchAll(/^ringflag_stream_history_bytes\{environment="([^"]+)"\} (\d+)$/gm)) {
    out.set(match[1]!, Number(match[2]));
  }
  return out;
}

describe('the stream history is bounded in bytes', () => {
  let server: RunningServer;
  let dir: string;
  let token: string;
  let serverKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-history-'));
    server = await startServer({
      db: join(dir, 'ringflag.db'),
      admin: ADMIN,
      logLevel: 'silent',
      streamHistoryBytes: { perEnvironment: PER_ENVIRONMENT, total: TOTAL },
    });
    token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
    serverKey = await createSdkKey(server.url, token, 'production', 'server');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps at most the bound in memory after many large patches, and still catches up from the log beyond it', async () => {
    const write = async (method: string, path: string, body: unknown, ifMatch?: string) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(ifMatch ? { 'if-match': ifMatch } : {}),
        },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      expect(response.status, text.slice(0, 300)).toBeLessThan(300);
      return response.headers.get('etag') ?? undefined;
    };
    let etag = await write('POST', '/api/v1/segments', bigSegment(0));
    let patchBytes = 0;
    for (let round = 1; round <= REWRITES; round++) {
      const body = bigSegment(round);
      patchBytes += JSON.stringify(body).length;
      etag = await write('PUT', '/api/v1/segments/big', body, etag);
    }
    // What an unbounded history would hold for one environment, far over the bound.
    expect(patchBytes).toBeGreaterThan(3 * PER_ENVIRONMENT);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const kept = historyBytes(metrics);
    expect(kept.get('production'), metrics).toBeGreaterThan(0);
    for (const [environment, bytes] of kept) {
      expect(bytes, environment).toBeLessThanOrEqual(PER_ENVIRONMENT);
    }
    expect([...kept.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(TOTAL);

    const payload = await fetch(`${server.url}/sdk/v1/flags`, { headers: { authorization: serverKey } });
    const revision = Number(JSON.parse(payload.headers.get('etag') ?? '0'));
    await payload.arrayBuffer();
    // The last change is kept: a reconnect one revision behind gets exactly that patch.
    expect(await firstEvent(server.url, serverKey, revision - 1)).toEqual({ event: 'patch', id: revision });
    // The first rewrites were dropped from memory to stay in bounds: a reconnect from before them still
    // gets exactly what it missed, read back from the change log.
    expect(await firstEvent(server.url, serverKey, revision - REWRITES)).toEqual({
      event: 'patch',
      id: revision - REWRITES + 1,
    });
  }, 120_000);
});
