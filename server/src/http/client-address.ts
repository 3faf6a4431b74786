import type { Context } from 'hono';
import type { AppEnv } from '../app-env.js';
import type { TrustedProxies } from './trusted-proxies.js';

/** The proxies the app trusts; set once per request by the app (see {@link trustProxies}). */
const proxiesOf = new WeakMap<object, TrustedProxies>();

/**
 * Remembers the trusted proxies for the requests of this app, so {@link clientAddress} and
 * {@link requestIsHttps} can honour them without every caller passing them along.
 *
 * @example
 * app.use('*', trustProxies(deps.trustedProxies));
 */
export function trustProxies(proxies: TrustedProxies) {
  return async function trustProxy(c: Context<AppEnv>, next: () => Promise<void>): Promise<void> {
    proxiesOf.set(c, proxies);
    await next();
  };
}

/**
 * The client's address: the socket's peer ('local' under `app.request()`), or, when that peer is a
 * trusted proxy (`RINGFLAG_TRUST_PROXY`), the client it names in `X-Forwarded-For`.
 */
export function clientAddress(c: Context<AppEnv>): string {
  const peer = c.env?.incoming?.socket.remoteAddress;
  const proxies = proxiesOf.get(c);
  const client = proxies ? proxies.clientOf(peer, c.req.header('x-forwarded-for')) : peer;
  return client ?? 'local';
}

/**
 * Whether the client reached us over HTTPS: the request's own scheme, or, from a trusted proxy, the
 * `X-Forwarded-Proto` it sends (a TLS-terminating proxy talks plain HTTP to us).
 */
export function requestIsHttps(c: Context<AppEnv>): boolean {
  const peer = c.env?.incoming?.socket.remoteAddress;
  if (proxiesOf.get(c)?.trusts(peer)) {
    const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    if (forwarded) return forwarded === 'https';
  }
  return new URL(c.req.url).protocol === 'https:';
}
