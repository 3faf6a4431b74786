import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';

/** The peer address of the request's socket ('local' under `app.request()`). */
export function clientAddress(c: Context<AppEnv>): string {
  return c.env?.incoming?.socket.remoteAddress ?? 'local';
}
