import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../app-env.js';

/**
 * The security headers of every response (Hono's `secureHeaders`): `nosniff`, no framing, no referrer,
 * and a CSP that lets a JSON or text response load nothing. Pages that render HTML send their own CSP
 * (see {@link pagePolicy}); a header the route set is kept. HSTS is left to whoever terminates TLS.
 *
 * @example
 * app.use('*', securityHeaders());
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: false,
    overwrite: false,
  });
}

const INLINE_SCRIPT = /<script(?![^>]*\btype="application\/json")[^>]*>([\s\S]*?)<\/script>/g;

/**
 * A Content-Security-Policy for a page served by this origin: scripts from here, plus the page's
 * own inline scripts by hash (data blocks such as `<script type="application/json">` never run and need
 * none); inline styles allowed; fetches and streams to this origin only; no framing. Compute it once,
 * from the page's static template, never from a page that holds request data.
 *
 * @example
 * const POLICY = pagePolicy(DOCS_PAGE); // "default-src 'self'; script-src 'self' 'sha256-…'; …"
 */
export function pagePolicy(html: string): string {
  const hashes = [...html.matchAll(INLINE_SCRIPT)]
    .map((match) => match[1] ?? '')
    .filter((code) => code.trim() !== '')
    .map((code) => `'sha256-${createHash('sha256').update(code).digest('base64')}'`);
  return [
    "default-src 'self'",
    ['script-src', "'self'", ...hashes].join(' '),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}
