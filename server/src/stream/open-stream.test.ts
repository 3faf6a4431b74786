import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PROJECT, environmentRef } from '../features/projects/project-scope.js';
import { ConnectionGuard, connectionLimits } from '../http/connection-guard.js';
import { createLogger } from '../logger.js';
import { Metrics } from '../ops/metrics.js';
import { ChangeHub } from './change-hub.js';
import { openStream, type StreamStart } from './open-stream.js';
import { sseFrame } from './sse-frame.js';

const logger = createLogger('silent');

/** The environment every stream of these tests is of. */
const production = environmentRef(DEFAULT_PROJECT.key, 'production');

/** A real server whose every request becomes an SDK stream of `production`, started at `start`. */
async function streamServer(hub: ChangeHub, start: () => StreamStart) {
  const guard = new ConnectionGuard(connectionLimits({ maxConnections: 64 }), {
    logger,
    metrics: new Metrics(),
  });
  const server = http.createServer((_request, response) => {
    openStream(hub, guard, response, { environment: production, keyId: 1, address: '127.0.0.1' }, start());
  });
  guard.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { guard, server, url: `http://127.0.0.1:${port}/` };
}

/** Opens a stream and collects its text; `ended` resolves when the server closes it. */
function client(url: string) {
  let text = '';
  let request: http.ClientRequest | undefined;
  const ended = new Promise<void>((resolve, reject) => {
    request = http.get(url, { agent: false }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', resolve);
      response.on('close', resolve);
    });
    // A stream the server should have closed fails the test instead of hanging it.
    request.setTimeout(5_000, () => reject(new Error('the stream stayed open and silent')));
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') resolve();
      else reject(error);
    });
  });
  return { text: () => text, ended, close: () => request?.destroy() };
}

const put = (revision: number) => Buffer.from(sseFrame('put', revision, `{"revision":${revision}}`));
const patch = (revision: number) => ({ revision, flags: { f: revision }, segments: {} });

describe('openStream', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const close of cleanup.splice(0)) close();
  });

  it('writes the patches published while its start was read, then the live ones', async () => {
    const hub = new ChangeHub({ logger });
    // Revision 6 is published after the stream's start (revision 5) was read, before it opens.
    hub.publish(production, patch(6));
    const { server, url } = await streamServer(hub, () => ({ revision: 5, frames: [put(5)] }));
    const stream = client(url);
    cleanup.push(() => {
      stream.close();
      hub.close();
      server.close();
    });
    await expect.poll(() => hub.connectionCount(production)).toBe(1);
    hub.publish(production, patch(7));
    await expect.poll(() => stream.text()).toContain('id: 7');
    const ids = [...stream.text().matchAll(/^event: (\w+)\nid: (\d+)$/gm)].map(([, e, id]) => `${e} ${id}`);
    expect(ids).toEqual(['put 5', 'patch 6', 'patch 7']);
  });

  it('closes a connection whose missed patches are no longer in memory, so its client reconnects', async () => {
    const hub = new ChangeHub({ logger, historySize: 1 });
    hub.publish(production, patch(6));
    hub.publish(production, patch(7));
    const { guard, server, url } = await streamServer(hub, () => ({ revision: 5, frames: [put(5)] }));
    cleanup.push(() => {
      hub.close();
      server.close();
    });
    const stream = client(url);
    await stream.ended;
    // Nothing was sent (a client that read the put would hold a revision that misses 6).
    expect(stream.text()).toBe('');
    expect(hub.connectionCount()).toBe(0);
    await expect.poll(() => guard.streamCount).toBe(0);
  });

  it('gives back its hub subscription and stream slot when the client goes away', async () => {
    // No heartbeat within the test: only the stream's own close listener can unsubscribe it.
    const hub = new ChangeHub({ logger, heartbeatMs: 600_000 });
    const { guard, server, url } = await streamServer(hub, () => ({ revision: 1, frames: [put(1)] }));
    cleanup.push(() => {
      hub.close();
      server.close();
    });
    const streams = [client(url), client(url)];
    await expect.poll(() => hub.connectionCount(production)).toBe(2);
    expect(guard.streamCount).toBe(2);
    streams[0]?.close();
    await expect.poll(() => hub.connectionCount(production)).toBe(1);
    await expect.poll(() => guard.streamCount).toBe(1);
    hub.publish(production, patch(2));
    await expect.poll(() => streams[1]?.text()).toContain('event: patch\nid: 2\n');
    streams[1]?.close();
    await expect.poll(() => hub.connectionCount()).toBe(0);
    await expect.poll(() => guard.streamCount).toBe(0);
    expect(guard.connectionCount).toBe(0);
  });
});
