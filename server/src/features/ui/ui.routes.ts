import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, Next } from 'hono';
import type { AppEnv } from '../../app-env.js';

/** Where `pnpm run build:ui` writes the admin UI. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../../admin-ui/dist/', import.meta.url));

/** Client-side routes of the single-page app: each (and everything under it) answers with index.html. */
const SPA_ROUTES = [
  'login',
  // A project's pages: /p/{project}/flags/…
  'p',
  'flags',
  'segments',
  'changes',
  'audit',
  'keys',
  'tokens',
  'users',
  'environments',
  'account',
  // A project's pages: /p/{project}/flags/…
  'p',
  'projects',
] as const;

/** Paths of the API and SDK surfaces, and the UI's hashed assets: an unknown one is a problem+json 404. */
const NOT_UI_PATH = /^\/(api|sdk|client|ofrep|assets)(\/|$)/;

/** A file at the root of dist, such as favicon.svg. */
const ROOT_FILE = '[A-Za-z0-9_-][A-Za-z0-9._-]*\\.[a-z0-9]+';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Everything the UI loads comes from this origin; the CSP makes that a rule, not a habit. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

const MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ringflag: admin UI not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1e293b}
code{background:#f1f5f9;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The admin UI is not built</h1>
<p>The server is running and its API answers at <code>/api/v1</code>, but <code>admin-ui/dist</code> does not
exist. Build the UI with <code>pnpm run build:ui</code> (<code>pnpm start</code> does it for you) and reload.</p>
<p>API documentation: <a href="/api/docs">/api/docs</a>.</p></body></html>`;

/** What {@link registerUiRoutes} gives the app's not-found handler. */
export interface UiFallback {
  /**
   * For a GET of a page path that no route answered (a mistyped or stale deep link): index.html with
   * status 404, so the UI shows its own not-found page. Undefined under `/api`, `/sdk`, `/client`,
   * `/ofrep` and `/assets`, for root files, other methods, and while the UI is not built: those get
   * the problem+json 404.
   */
  unknownPage(c: Context): Promise<Response | undefined>;
}

/** Options of {@link registerUiRoutes}. */
export interface UiOptions {
  /** The built UI (default: admin-ui/dist of this checkout). */
  dir?: string;
}

/**
 * Serves the built admin UI at `/`: hashed assets under `/assets/` with a year-long immutable cache,
 * index.html (never cached) for every client-side route, and a page that says how to build the UI
 * when it is missing. Only the UI's own paths are registered, so API and SDK routes are never
 * shadowed; the returned {@link UiFallback} is for the app's not-found handler.
 *
 * @example
 * const ui = registerUiRoutes(app);
 * app.notFound(async (c) => (await ui.unknownPage(c)) ?? problemResponse(…));
 */
export function registerUiRoutes(app: OpenAPIHono<AppEnv>, options: UiOptions = {}): UiFallback {
  const dir = normalize(options.dir ?? DEFAULT_UI_DIR);
  const root = dir.endsWith(sep) ? dir : `${dir}${sep}`;

  const fileIn = (path: string): string | undefined => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return undefined;
    }
    const file = normalize(join(root, decoded));
    return file.startsWith(root) ? file : undefined;
  };

  const read = async (file: string): Promise<Buffer | undefined> => {
    try {
      if (!(await stat(file)).isFile()) return undefined;
      return await readFile(file);
    } catch {
      return undefined;
    }
  };

  const indexResponse = (c: Context, html: Buffer, status: 200 | 404): Response =>
    c.body(new Uint8Array(html), status, {
      'content-type': CONTENT_TYPES['.html']!,
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });

  const serveIndex = async function serveIndex(c: Context): Promise<Response> {
    const html = await read(join(root, 'index.html'));
    if (!html) return c.html(MISSING_PAGE, 503, { 'cache-control': 'no-store', ...SECURITY_HEADERS });
    return indexResponse(c, html, 200);
  };

  const rootFile = new RegExp(`^/${ROOT_FILE}$`);
  const unknownPage = async (c: Context): Promise<Response | undefined> => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return undefined;
    if (NOT_UI_PATH.test(c.req.path) || rootFile.test(c.req.path)) return undefined;
    const html = await read(join(root, 'index.html'));
    return html && indexResponse(c, html, 404);
  };

  const serveFile = async function serveFile(c: Context, next: Next): Promise<Response | undefined> {
    const path = c.req.path;
    const isAsset = path.startsWith('/assets/');
    const file = fileIn(path);
    const body = file === undefined ? undefined : await read(file);
    if (!body || file === undefined) {
      await next();
      return undefined;
    }
    return c.body(new Uint8Array(body), 200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      // Vite puts a content hash in every asset name, so an asset never changes under its URL.
      'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    });
  };

  // Explicit paths rather than '*', so API and SDK routes never share a match with the UI.
  app.get('/', serveIndex);
  app.get('/index.html', serveIndex);
  for (const route of SPA_ROUTES) {
    app.get(`/${route}`, serveIndex);
    app.get(`/${route}/*`, serveIndex);
  }
  app.get('/assets/*', serveFile);
  // Files at the root of dist, such as favicon.svg.
  app.get(`/:file{${ROOT_FILE}}`, serveFile);
  return { unknownPage };
}
