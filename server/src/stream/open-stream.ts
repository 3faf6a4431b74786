import type { ServerResponse } from 'node:http';
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
 * Takes over a Node response for an SDK stream: writes the headers and the initial frames, then
 * hands the connection to the hub until the client goes away. Call it synchronously right after
 * reading the payload, so that no change can fall between the two. Returns undefined when the
 * server refused the stream (see {@link startEventStream}).
 */
export function openStream(
  hub: ChangeHub,
  connections: ConnectionGuard,
  response: ServerResponse,
  connection: { environment: string; keyId: number; address: string },
  initial: readonly Buffer[],
): StreamConnection | undefined {
  if (!startEventStream(connections, response, SSE_HEADERS, connection.keyId, connection.address)) {
    return undefined;
  }
  for (const frame of initial) response.write(frame);
  const stream: StreamConnection = {
    environment: connection.environment,
    keyId: connection.keyId,
    sink: response,
  };
  hub.subscribe(stream);
  const end = () => hub.unsubscribe(stream);
  response.once('close', end);
  response.once('error', end);
  return stream;
}
