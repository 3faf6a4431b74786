import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { type EvaluationDetail, evaluate, type FlagStore, type JsonValue } from '@ringflag/sdk-node/engine';
import type { Context as HonoContext, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { limitBodySize } from '../../http/body-limit.js';
import { clientAddress } from '../../http/client-address.js';
import { rejectIllFormedStrings } from '../../http/json-body.js';
import { responses } from '../../http/openapi-app.js';
import type { Metrics } from '../../ops/metrics.js';
import { CLIENT_LIMITS, contextHash } from '../client/client-context.js';
import { browserCors, type CorsOrigins } from '../client/cors.js';
import type { EnvironmentReader } from '../client/environment-cache.js';
import { etagMatches, evaluationEtag } from '../client/etag.js';
import {
  type CachedEvaluation,
  type EvaluationCache,
  type FlagScope,
  visibleTo,
} from '../client/evaluation-cache.js';
import type { SdkKeyLookup } from '../client/sdk-key-lookup.js';
import type { PayloadReader } from '../sdk/cached-payload.js';
import { sdkKeyFromHeader } from '../sdk/sdk-auth.js';
import { parseOfrepRequest } from './ofrep-request.js';
import {
  type OfrepFailure,
  type OfrepSuccess,
  ofrepBulkFailureSchema,
  ofrepBulkSuccessSchema,
  ofrepFailureSchema,
  ofrepSuccessSchema,
  toOfrep,
} from './ofrep-result.js';
import {
  DEFAULT_ADDRESS_RATE_LIMIT,
  DEFAULT_OFREP_RATE_LIMIT,
  KeyAddressRateLimiter,
  type KeyAddressRateLimits,
} from './rate-limiter.js';

/** What {@link registerOfrepRoutes} needs (the client surface provides all but `metrics` and `clock`). */
export interface OfrepRouteDeps {
  keys: Pick<SdkKeyLookup, 'lookup'>;
  environments: Pick<EnvironmentReader, 'byId'>;
  payloads: PayloadReader;
  origins: CorsOrigins;
  evaluations: EvaluationCache;
  metrics: Pick<Metrics, 'recordPublicRejection'>;
  clock: () => Date;
}

/** Options of {@link registerOfrepRoutes}. */
export interface OfrepOptions {
  /**
   * Requests per SDK key (default 1,000/s sustained, bursts of 2,000) and per key and client address
   * (default 200/s, bursts of 1,000); beyond either, 429 with `Retry-After`.
   */
  rateLimits?: KeyAddressRateLimits;
}

const SINGLE_PATH = /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)$/;

/**
 * Registers OFREP v1 (open-feature/protocol `service/openapi.yaml`), so the official OpenFeature OFREP
 * providers work unchanged:
 * - `POST /ofrep/v1/evaluate/flags/{key}` → `{ key, value, reason, variant, metadata }`; 400
 *   `{ key, errorCode, errorDetails }`; 404 `{ key, errorCode: 'FLAG_NOT_FOUND' }`;
 * - `POST /ofrep/v1/evaluate/flags` → `{ flags: [...] }` with `ETag`, 304 on `If-None-Match`;
 * - `GET /ofrep/v1/configuration` (the optional extension);
 * - 401/403 without a body, 429 with `Retry-After` (seconds).
 *
 * A client key (`rf_cli_…`, browsers) sees its environment's clientSide flags, a server key
 * (`rf_srv_…`) all of them; the key comes as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
 *
 * @example
 * registerOfrepRoutes(app, { ...surface, metrics, clock }, { rateLimits: { perKey, perAddress } });
 */
export function registerOfrepRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: OfrepRouteDeps,
  options: OfrepOptions = {},
): void {
  const { evaluations, environments, payloads } = deps;
  // The bulk body of a cached evaluation, serialised once: it lives as long as the cache keeps the entry.
  const bulkBodies = new WeakMap<CachedEvaluation, string>();
  const limiter = new KeyAddressRateLimiter(
    options.rateLimits ?? { perKey: DEFAULT_OFREP_RATE_LIMIT, perAddress: DEFAULT_ADDRESS_RATE_LIMIT },
    () => deps.clock().getTime(),
  );

  app.use('/ofrep/*', browserCors(deps.origins));
  app.use(
    '/ofrep/*',
    limitBodySize(CLIENT_LIMITS.evaluateBodyBytes, (c) => {
      const key = SINGLE_PATH.exec(c.req.path)?.[1];
      const failure = {
        ...(key === undefined ? {} : { key }),
        errorCode: 'INVALID_CONTEXT',
        errorDetails: `The request body is over ${CLIENT_LIMITS.evaluateBodyBytes} bytes`,
      };
      return c.json(failure, 400);
    }),
  );
  app.use('/ofrep/*', authenticateOfrep(deps, limiter));
  app.use(
    '/ofrep/*',
    rejectIllFormedStrings((c, error) => {
      const key = SINGLE_PATH.exec(c.req.path)?.[1];
      const where = error.errors.map((field) => `${field.path}: ${field.message}`).join('; ');
      return c.json(
        { ...(key === undefined ? {} : { key }), errorCode: 'INVALID_CONTEXT', errorDetails: where },
        400,
      );
    }),
  );

  /** The environment, its store and what the key may see, for an authenticated request. */
  const scopeOf = async (c: HonoContext<AppEnv>) => {
    const identity = c.get('sdkKey');
    const env = identity && (await environments.byId(identity.environmentId));
    if (!identity || !env) return null;
    const scope: FlagScope = identity.type === 'client' ? 'client' : 'server';
    return { env, scope, store: (await payloads.get(env)).store() };
  };

  app.post('/ofrep/v1/evaluate/flags/:key', async (c) => {
    const key = c.req.param('key');
    const target = await scopeOf(c);
    if (!target) return c.body(null, 401);
    const request = parseOfrepRequest(await c.req.text());
    if (!request.ok) {
      return c.json({ key, errorCode: request.errorCode, errorDetails: request.errorDetails }, 400);
    }
    const flag = target.store.flags.get(key);
    if (!flag || (target.scope === 'client' && !flag.clientSide)) {
      const notFound: OfrepFailure = {
        key,
        errorCode: 'FLAG_NOT_FOUND',
        errorDetails: `No flag "${key}" for this key`,
      };
      return c.json(notFound, 404);
    }
    const detail = visibleTo(target.scope, target.store, evaluate(key, request.context, target.store, null));
    const result = toOfrep(key, flag, detail);
    return c.json(result, 'errorCode' in result ? 400 : 200);
  });

  app.post('/ofrep/v1/evaluate/flags', async (c) => {
    const target = await scopeOf(c);
    if (!target) return c.body(null, 401);
    const request = parseOfrepRequest(await c.req.text());
    if (!request.ok) return c.json({ errorCode: request.errorCode, errorDetails: request.errorDetails }, 400);
    const hash = contextHash(request.context);
    // Client and server keys see different flags, so their tags differ.
    const tag = (revision: number) =>
      evaluationEtag(revision, target.scope === 'client' ? hash : `${hash}-all`);
    const etag = tag(target.env.revision);
    if (etagMatches(c.req.header('if-none-match'), etag)) {
      return c.body(null, 304, { ETag: etag, 'cache-control': 'no-cache' });
    }
    const evaluation = evaluations.get(target.env.ref, target.scope, target.store, request.context, hash);
    let body = bulkBodies.get(evaluation);
    if (body === undefined) {
      body = JSON.stringify({ flags: bulkResults(target.store, evaluation.results) });
      bulkBodies.set(evaluation, body);
    }
    return c.body(body, 200, {
      ETag: tag(evaluation.revision),
      'content-type': 'application/json',
      'cache-control': 'no-cache',
    });
  });

  app.get('/ofrep/v1/configuration', async (c) => {
    if (!(await scopeOf(c))) return c.body(null, 401);
    return c.json(
      {
        name: 'Ringflag',
        capabilities: {
          cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 1000 } },
          flagEvaluation: { supportedTypes: ['boolean', 'string', 'int', 'float', 'object'] },
        },
      },
      200,
    );
  });

  documentOfrep(app);
}

function bulkResults(
  store: FlagStore,
  results: Readonly<Record<string, EvaluationDetail<JsonValue | null>>>,
): (OfrepSuccess | OfrepFailure)[] {
  const flags: (OfrepSuccess | OfrepFailure)[] = [];
  for (const [key, detail] of Object.entries(results)) {
    const flag = store.flags.get(key);
    if (flag) flags.push(toOfrep(key, flag, detail));
  }
  return flags;
}

/**
 * Reads the key from `Authorization: Bearer <key>` (or a bare key) or `X-API-Key`, and applies the
 * rate limits per key and per key and client address, so one abusive address is refused while other
 * browsers with the same public key are served. OFREP wants 401/403/429 without a body.
 */
function authenticateOfrep(
  deps: Pick<OfrepRouteDeps, 'keys' | 'metrics'>,
  limiter: KeyAddressRateLimiter,
): MiddlewareHandler<AppEnv> {
  return async function checkOfrepKey(c, next) {
    if (c.req.method === 'OPTIONS') return next();
    const key = sdkKeyFromHeader(c.req.header('authorization')) ?? c.req.header('x-api-key')?.trim();
    const identity = key ? await deps.keys.lookup(key) : undefined;
    if (!identity) return c.body(null, 401);
    c.set('sdkKey', identity);
    const refused = limiter.take(identity.id, clientAddress(c));
    if (refused) {
      deps.metrics.recordPublicRejection('ofrep', `rate_limited_${refused.scope}`);
      return c.body(null, 429, { 'Retry-After': String(refused.retryAfter) });
    }
    await next();
  };
}

function documentOfrep(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'ofrepApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'A client key rf_cli_… (clientSide flags) or a server key rf_srv_… (all flags)',
  });
  const security: Record<string, string[]>[] = [{ ofrepApiKey: [] }, { sdkKey: [] }];
  const errors = {
    401: { description: 'No or unknown key (no body)' },
    403: { description: 'Forbidden (no body)' },
    429: { description: 'Rate limited; Retry-After in seconds (no body)' },
  };
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/ofrep/v1/evaluate/flags/{key}',
    tags: ['OpenFeature (OFREP)'],
    security,
    request: { params: z.object({ key: z.string() }) },
    summary: 'OFREP single flag evaluation: { key, value, reason, variant, metadata }',
    responses: {
      ...responses({
        200: { description: 'The evaluation', schema: ofrepSuccessSchema },
        400: {
          description: 'errorCode PARSE_ERROR, INVALID_CONTEXT or GENERAL, with errorDetails',
          schema: ofrepFailureSchema,
        },
        404: { description: 'errorCode FLAG_NOT_FOUND', schema: ofrepFailureSchema },
      }),
      ...errors,
    },
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/ofrep/v1/evaluate/flags',
    tags: ['OpenFeature (OFREP)'],
    security,
    summary: 'OFREP bulk evaluation: { flags: [...] } with ETag; 304 on If-None-Match',
    responses: {
      ...responses({
        200: { description: 'Every flag the key may see', schema: ofrepBulkSuccessSchema },
        304: 'Unchanged',
        400: { description: 'The request could not be read', schema: ofrepBulkFailureSchema },
      }),
      ...errors,
    },
  });
}
