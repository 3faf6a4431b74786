import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../../app-env.js';

/**
 * Caps a request body at `maxBytes`. A body with a `Content-Length` is judged by the header alone (Node's
 * parser never reads past it), which leaves the body unread, so `c.req.json()` takes @hono/node-server's
 * direct path instead of building a web `Request` and stream for every call; Hono's `bodyLimit`, which
 * touches the stream, measures only chunked bodies. That difference is most of a cached evaluation's cost.
 *
 * @example
 * app.use('/client/v1/evaluate', limitBodySize(32 * 1024, (c) => c.json({ error: 'too large' }, 413)));
 */
export function limitBodySize(
  maxBytes: number,
  onError: (c: Context<AppEnv>) => Response | Promise<Response>,
): MiddlewareHandler<AppEnv> {
  const streaming = bodyLimit({ maxSize: maxBytes, onError });
  return async function limitBody(c, next) {
    const declared = c.req.header('content-length');
    if (declared !== undefined && /^\d+$/.test(declared)) {
      if (Number(declared) > maxBytes) return onError(c);
      await next();
      return;
    }
    return streaming(c, next);
  };
}
