import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.js';
import type { RefusedOriginLog } from './refused-origins.js';
import { ShortLivedCache } from './short-lived-cache.js';

const ALLOW_HEADERS = 'Authorization, Content-Type, If-None-Match, X-API-Key, Last-Event-ID';
const ALLOW_METHODS = 'GET, POST, OPTIONS';

/** How long the environments' allowed origins are kept at most. */
export const ORIGINS_CACHE_MS = 1000;

/** Whether an environment's `corsOrigins` admit `origin` (`*` admits every origin). */
export function originAllowed(corsOrigins: readonly string[], origin: string): boolean {
  return corsOrigins.includes('*') || corsOrigins.includes(origin);
}

/** One environment's id, key and allowed origins. */
export interface EnvironmentOrigins {
  readonly id: number;
  readonly key: string;
  readonly corsOrigins: readonly string[];
}

/**
 * The allowed origins of every environment, read at most once per {@link ORIGINS_CACHE_MS} (browser
 * requests carry an `Origin` on every call) and dropped by {@link clear} when an environment changes
 * on any replica, so a changed list applies at once where the signal arrives and within a second
 * everywhere. A read under way while the list is cleared is not kept. Refused origins go to
 * `refusals` (logged, bounded).
 *
 * @example
 * const origins = new CorsOrigins(() => listAllEnvironments(database));
 * await origins.allowedAnywhere('https://app.example.com'); // true when some environment lists it
 */
export class CorsOrigins {
  /** One entry: the key and allowed origins by environment id. */
  private readonly kept: ShortLivedCache<'all', ReadonlyMap<number, EnvironmentOrigins>>;
  private readonly refusals: RefusedOriginLog | undefined;

  constructor(
    /** Reads every environment's allowed origins (the database on a server, the upstream on a relay). */
    private readonly list: () => Promise<readonly EnvironmentOrigins[]>,
    options: { now?: () => number; refusals?: RefusedOriginLog } = {},
  ) {
    this.kept = new ShortLivedCache({ ttlMs: ORIGINS_CACHE_MS, max: 1, now: options.now });
    this.refusals = options.refusals;
  }

  /** Whether any environment admits `origin`: what a preflight, which carries no key, can check. */
  async allowedAnywhere(origin: string): Promise<boolean> {
    for (const { corsOrigins } of (await this.byEnvironment()).values()) {
      if (originAllowed(corsOrigins, origin)) return true;
    }
    return false;
  }

  /** Notes a preflight that no environment's origins admit (for the log). */
  refusedPreflight(origin: string): void {
    this.refusals?.refused(undefined, origin);
  }

  /**
   * The CORS headers of an actual (non-preflight) response: the origin echoed and `ETag` exposed when
   * the key's environment admits it (any environment when the key is unknown, so a browser can still
   * read a 401); none otherwise, and the browser withholds the response from the page. A refusal by
   * the key's environment is logged.
   */
  async headers(
    origin: string | undefined,
    environmentId: number | undefined,
  ): Promise<Record<string, string>> {
    if (!origin) return {};
    const byEnvironment = await this.byEnvironment();
    const own = environmentId === undefined ? undefined : byEnvironment.get(environmentId);
    const allowed = own ? originAllowed(own.corsOrigins, origin) : await this.allowedAnywhere(origin);
    if (!allowed) {
      if (own) this.refusals?.refused(own.key, origin);
      return { vary: 'Origin' };
    }
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'ETag',
      vary: 'Origin',
    };
  }

  /** Drops the kept origins (an environment changed). */
  clear(): void {
    this.kept.clear();
  }

  /** The origins by environment; when the database cannot be read, the last ones kept serve meanwhile. */
  private async byEnvironment(): Promise<ReadonlyMap<number, EnvironmentOrigins>> {
    try {
      return (await this.kept.get('all', () => this.read()))!;
    } catch (error) {
      const last = this.kept.last('all');
      if (last) return last;
      throw error;
    }
  }

  private async read(): Promise<ReadonlyMap<number, EnvironmentOrigins>> {
    const rows = await this.list();
    return new Map(
      rows.map((row) => [row.id, { id: row.id, key: row.key, corsOrigins: row.corsOrigins }] as const),
    );
  }
}

/**
 * CORS for the browser-facing surfaces (`/client/v1`, `/ofrep/v1`) from the environments' allowed
 * origins. A preflight has no key, so it passes when any environment lists the origin; the actual
 * request is then checked against the environment of its key. A disallowed origin gets no CORS
 * headers at all, and is logged (see {@link RefusedOriginLog}). Streams write their own headers (see {@link CorsOrigins.headers}).
 *
 * @example
 * app.use('/client/*', browserCors(origins));
 */
export function browserCors(origins: CorsOrigins): MiddlewareHandler<AppEnv> {
  return async function cors(c, next) {
    const origin = c.req.header('origin');
    if (c.req.method === 'OPTIONS') {
      const headers: Record<string, string> = { allow: ALLOW_METHODS, vary: 'Origin' };
      if (origin && (await origins.allowedAnywhere(origin))) {
        headers['access-control-allow-origin'] = origin;
        headers['access-control-allow-methods'] = ALLOW_METHODS;
        headers['access-control-allow-headers'] = ALLOW_HEADERS;
        headers['access-control-max-age'] = '600';
      } else if (origin) {
        origins.refusedPreflight(origin);
      }
      return c.body(null, 204, headers);
    }
    await next();
    if (!origin || c.res === RESPONSE_ALREADY_SENT) return;
    for (const [name, value] of Object.entries(
      await origins.headers(origin, c.get('sdkKey')?.environmentId),
    )) {
      c.res.headers.set(name, value);
    }
  };
}
