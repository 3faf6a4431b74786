import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../app-env.js';
import { PayloadTooLargeError } from '../errors/index.js';
import { problemResponse } from './problem.js';

/** The 413 problem every body limit answers with. */
export function payloadTooLarge(maxBytes: number, headers: Record<string, string> = {}): Response {
  return problemResponse(new PayloadTooLargeError(`The body is over ${maxBytes} bytes`).toJSON(), headers);
}

/**
 * Caps a request body at `maxBytes`, the one body limit of every surface. A body with a `Content-Length`
 * is judged by the header alone and left unread: @hono/node-server then drains the bytes the client is
 * still sending and the keep-alive connection serves the next request. (Hono's own `bodyLimit` opens the
 * body's web stream first, which stalls that drain until the socket is destroyed 500 ms after the 413;
 * an unread body also lets `c.req.json()` take node-server's direct path.) A chunked body can only be
 * measured by reading it; past the limit the rest is not worth reading, so that 413 says
 * `Connection: close` instead of promising a connection that is about to end. A GET or HEAD has no
 * body to read (the adapter gives it none), so it is not opened: asking for it would build a whole web
 * `Request` (URL, headers, abort signal) that the adapter then keeps until the connection closes —
 * for an event stream, as long as the stream lasts.
 *
 * @example
 * app.use('/api/*', limitBodySize(1024 * 1024));
 */
export function limitBodySize(
  maxBytes: number,
  onError: (c: Context<AppEnv>) => Response | Promise<Response> = () => payloadTooLarge(maxBytes),
): MiddlewareHandler<AppEnv> {
  const streaming = bodyLimit({
    maxSize: maxBytes,
    onError: async (c) => {
      const response = await onError(c as Context<AppEnv>);
      response.headers.set('connection', 'close');
      return response;
    },
  });
  return async function limitBody(c, next) {
    const declared = c.req.header('content-length');
    if (declared !== undefined && /^\d+$/.test(declared)) {
      if (Number(declared) > maxBytes) return onError(c);
      await next();
      return;
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      await next();
      return;
    }
    return streaming(c, next);
  };
}
