import type { ServerResponse } from 'node:http';
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
 * Takes over a Node response for an SDK stream: writes the headers and the initial frames, then
 * hands the connection to the hub until the client goes away. Call it synchronously right after
 * reading the payload, so that no change can fall between the two.
 */
export function openStream(
  hub: ChangeHub,
  response: ServerResponse,
  connection: { environment: string; keyId: number },
  initial: readonly Buffer[],
): StreamConnection {
  response.writeHead(200, SSE_HEADERS);
  response.socket?.setNoDelay(true);
  response.socket?.setKeepAlive(true, 30_000);
  for (const frame of initial) response.write(frame);
  const stream: StreamConnection = { ...connection, sink: response };
  hub.subscribe(stream);
  const end = () => hub.unsubscribe(stream);
  response.once('close', end);
  response.once('error', end);
  return stream;
}
