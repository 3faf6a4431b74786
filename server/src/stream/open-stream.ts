import type { ServerResponse } from 'node:http';
import type { EnvironmentRef } from '../db/schema.js';
import type { ConnectionGuard } from '../http/connection-guard.js';
import { problemResponseText } from '../http/problem.js';
import type { ChangeHub, StreamConnection } from './change-hub.js';

/** Response headers of an SSE stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx must not buffer the stream.
  'x-accel-buffering': 'no',
} as const;

/**
 * Starts an event stream on a Node response, or refuses it: when the server has no stream slot left
 * (in all, for this key, or for this address) it answers 503 with a problem and `Retry-After`, closes
 * the connection and returns false. Otherwise it sends the headers at once (a stream that has nothing to
 * catch up on would else hold them back until its first heartbeat) and returns true.
 *
 * @example
 * if (!startEventStream(deps.connections, outgoing, SSE_HEADERS, key.id, clientAddress(c))) return RESPONSE_ALREADY_SENT;
 */
export function startEventStream(
  connections: ConnectionGuard,
  response: ServerResponse,
  headers: Record<string, string>,
  keyId: number,
  address: string,
): boolean {
  const refusal = connections.admitStream(response, keyId, address);
  if (refusal) {
    const body = problemResponseText({
      type: 'https://ringflag.dev/problems/stream-capacity',
      title: 'Stream capacity reached',
      status: 503,
      detail: 'The server has no stream slot left for this key or address; retry later',
      errors: [],
    });
    response.writeHead(503, {
      'content-type': 'application/problem+json',
      'retry-after': '30',
      connection: 'close',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
    return false;
  }
  response.writeHead(200, headers);
  response.socket?.setNoDelay(true);
  response.socket?.setKeepAlive(true, 30_000);
  response.flushHeaders();
  return true;
}

/**
 * Where an SDK stream starts: the frames that bring its client to `revision` (a `put`, or the patches
 * since its Last-Event-ID).
 */
export interface StreamStart {
  /** The revision the client holds once it has the frames. */
  readonly revision: number;
  readonly frames: readonly Buffer[];
}

/**
 * Takes over a Node response for an SDK stream: writes the headers and the initial frames, then
 * hands the connection to the hub until the client goes away. Patches the hub published after
 * `start.revision` while the caller was reading the database follow the initial frames, from the
 * hub's history; when they are no longer there the connection is closed before anything is sent, and
 * the client reconnects (as after any drop) to a fresh start. From here on everything is synchronous,
 * so no patch falls between these frames and the hub's next one. Returns undefined when the client is
 * gone already or the stream was not opened (see {@link startEventStream} for a refusal).
 *
 * What stays per open stream is the hub's connection object and one listener: nothing of the request
 * or its handler is kept.
 */
export function openStream(
  hub: ChangeHub,
  connections: ConnectionGuard,
  response: ServerResponse,
  connection: { environment: EnvironmentRef; keyId: number; address: string },
  start: StreamStart,
): StreamConnection | undefined {
  if (response.destroyed) return undefined;
  const { environment, keyId } = connection;
  const published = hub.publishedRevision(environment);
  const since =
    published !== undefined && published > start.revision
      ? hub.missedSince(environment, start.revision, published)
      : [];
  if (!since) {
    response.destroy();
    return undefined;
  }
  if (!startEventStream(connections, response, SSE_HEADERS, keyId, connection.address)) {
    return undefined;
  }
  for (const frame of start.frames) response.write(frame);
  for (const frame of since) response.write(frame);
  const stream: StreamConnection = { environment, keyId, sink: response };
  hub.subscribe(stream);
  // One listener for both events (unsubscribing twice is harmless), added with `on`: `once` would
  // wrap it in another function and a state object per stream. A bound function has no scope of its own.
  const end = hub.unsubscribe.bind(hub, stream);
  response.on('close', end);
  response.on('error', end);
  return stream;
}
