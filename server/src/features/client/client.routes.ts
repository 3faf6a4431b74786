import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from '@ringflag/sdk-node/engine';
import type { AppEnv } from '../../app-env.js';
import { NotFoundError, PayloadTooLargeError, RateLimitedError } from '../../errors/index.js';
import { limitBodySize } from '../../http/body-limit.js';
import { clientAddress } from '../../http/client-address.js';
import type { ConnectionGuard } from '../../http/connection-guard.js';
import { rejectIllFormedStrings } from '../../http/json-body.js';
import { jsonBody, responses } from '../../http/openapi-app.js';
import { problemResponse } from '../../http/problem.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../ops/metrics.js';
import type { ChangeHub } from '../../stream/change-hub.js';
import { SSE_HEADERS, startEventStream } from '../../stream/open-stream.js';
import { clientEvaluationSchema } from '../evaluate/evaluation-schemas.js';
import { KeyAddressRateLimiter, type KeyAddressRateLimits } from '../ofrep/rate-limiter.js';
import type { PayloadReader } from '../sdk/cached-payload.js';
import type { EventIngest } from '../sdk/event-ingest.js';
import { sdkKeyOf } from '../sdk/sdk-auth.js';
import { acceptedEventsSchema, clientEventsSchema } from '../sdk/sdk-events.js';
import { requireClientKey } from './client-auth.js';
import {
  CLIENT_LIMITS,
  clientEvaluateSchema,
  contextHash,
  decodeStreamContext,
  EvaluateBodies,
} from './client-context.js';
import { ClientStreams, type ClientStreamsOptions } from './client-streams.js';
import { browserCors, type CorsOrigins } from './cors.js';
import type { EnvironmentReader } from './environment-cache.js';
import { etagMatches, evaluationEtag } from './etag.js';
import type { EvaluationCache } from './evaluation-cache.js';
import { limitClientRate } from './public-rate-limit.js';
import type { SdkKeyLookup } from './sdk-key-lookup.js';

/**
 * What the release guards learn when the server evaluates a browser context (guard-ingest.ts). Never
 * throws.
 */
export interface BrowserContextGuards {
  exposeBrowserContext(
    environmentId: number,
    address: string,
    context: Context,
    hash: string,
  ): void | Promise<void>;
}

/** What {@link registerClientRoutes} needs: the client surface's reads and caches, and more. */
export interface ClientRouteDeps {
  keys: Pick<SdkKeyLookup, 'lookup'>;
  environments: Pick<EnvironmentReader, 'byId' | 'byRef'>;
  payloads: PayloadReader;
  origins: CorsOrigins;
  evaluations: EvaluationCache;
  /** Where `POST /client/v1/events` goes (shared with the server SDK). */
  events: Pick<EventIngest, 'ingest'>;
  guards: BrowserContextGuards;
  hub: ChangeHub;
  connections: ConnectionGuard;
  logger: Logger;
  metrics: Pick<Metrics, 'recordPublicRejection' | 'observeBrowserStream'>;
  clock: () => Date;
}

/** Options of {@link registerClientRoutes}. */
export interface ClientRouteOptions {
  /** Requests per client key, and per key and client address; beyond them 429 with `Retry-After`. */
  rateLimits: KeyAddressRateLimits;
  /** Bounds of the browser streams (memory of their per-context state, slow readers). */
  streams?: ClientStreamsOptions;
}

const CLIENT_SECURITY: Record<string, string[]>[] = [{ clientKey: [] }];
const base = { tags: ['browser SDK'], security: CLIENT_SECURITY };

/**
 * Registers the browser surface (DESIGN §6–7): `POST /client/v1/evaluate`, `GET /client/v1/stream`,
 * `POST /client/v1/events`, with CORS from the environments' allowed origins. A client key sees its
 * environment's `clientSide` flags, evaluated on the server, as `{ value, variant, reason }` — never
 * the rules.
 *
 * The key is public, so everything it can send is bounded (DESIGN §10): requests per key and per
 * (key, client address), body sizes, the memory of every cache, and what events may record
 * (client-events.ts); guards count the distinct contexts the server evaluated, never a browser's
 * numbers (guard-ingest.ts).
 *
 * @example
 * const streams = registerClientRoutes(app, { ...surface, events, guards, hub, connections, logger, metrics, clock }, { rateLimits });
 */
export function registerClientRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: ClientRouteDeps,
  options: ClientRouteOptions,
): ClientStreams {
  const { evaluations, environments, payloads, guards } = deps;
  const streams = new ClientStreams(deps, options.streams);
  const bodies = new EvaluateBodies();
  const rate = limitClientRate(
    deps.metrics,
    new KeyAddressRateLimiter(options.rateLimits, () => deps.clock().getTime()),
  );
  app.openAPIRegistry.registerComponent('securitySchemes', 'clientKey', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'A client key rf_cli_… (a "Bearer " prefix is accepted; the stream also takes ?key=)',
  });
  app.use('/client/*', browserCors(deps.origins));
  const limit = (maxSize: number) =>
    limitBodySize(maxSize, () =>
      problemResponse(new PayloadTooLargeError(`The body is over ${maxSize} bytes`).toJSON()),
    );
  // A context is small; event batches may be larger.
  app.use('/client/v1/evaluate', limit(CLIENT_LIMITS.evaluateBodyBytes));
  app.use('/client/v1/events', limit(CLIENT_LIMITS.eventsBodyBytes));
  app.use('/client/*', rejectIllFormedStrings());

  const environmentOf = async (id: number) => {
    const env = await environments.byId(id);
    if (!env) throw new NotFoundError('The environment of this key no longer exists');
    return env;
  };

  // Documented here, handled below without Hono's validator: the body is parsed once per distinct
  // text (EvaluateBodies), which is what makes a polled evaluation cheap.
  app.openAPIRegistry.registerPath(
    createRoute({
      ...base,
      method: 'post',
      path: '/client/v1/evaluate',
      summary:
        "The environment's clientSide flags evaluated for a context: { revision, flags: { key: { value, variant, reason } } } " +
        '(ETag = "<revision>-<context hash>"; 304 on If-None-Match)',
      request: { body: jsonBody(clientEvaluateSchema) },
      responses: responses({
        200: { description: 'Values', schema: clientEvaluationSchema },
        304: 'Unchanged',
        400: 'Invalid context',
        401: 'Bad key',
        403: 'Not a client key',
        413: 'Body too large',
        429: 'Too many requests (Retry-After)',
      }),
    }),
  );
  app.post('/client/v1/evaluate', requireClientKey(deps.keys), rate, async (c) => {
    const env = await environmentOf(sdkKeyOf(c).environmentId);
    const { context, hash } = bodies.parse(await c.req.text());
    await guards.exposeBrowserContext(env.id, clientAddress(c), context, hash);
    const etag = evaluationEtag(env.revision, hash);
    if (etagMatches(c.req.header('if-none-match'), etag)) {
      return c.body(null, 304, { ETag: etag, 'cache-control': 'no-cache' });
    }
    const store = (await payloads.get(env)).store();
    const evaluation = evaluations.get(env.ref, 'client', store, context, hash);
    return c.body(evaluation.json, 200, {
      ETag: evaluationEtag(evaluation.revision, hash),
      'content-type': 'application/json',
      'cache-control': 'no-cache',
    });
  });

  const stream = createRoute({
    ...base,
    method: 'get',
    path: '/client/v1/stream',
    summary:
      'Server-sent events for one context: `put` { revision, flags: { key: { value, variant, reason } } } on connect, ' +
      'then `patch` { revision, flags: { key: result | null } } with only the flags that changed for this context; ' +
      '`id` = revision; comment heartbeats; a reconnect gets a fresh `put`',
    middleware: [requireClientKey(deps.keys, { allowQuery: true, fresh: true }), rate],
    request: {
      query: z.object({
        key: z.string().max(256).optional(),
        context: z.string().optional(),
      }),
    },
    responses: responses({
      200: { description: 'The event stream', schema: z.string(), mediaType: 'text/event-stream' },
      400: 'Invalid context',
      401: 'Bad key',
      403: 'Not a client key',
      429: 'Too many requests, or no room for another context (Retry-After)',
    }),
  });
  app.openapi(stream, async (c) => {
    const key = sdkKeyOf(c);
    const context = decodeStreamContext(c.req.valid('query').context);
    const hash = contextHash(context);
    const env = await environmentOf(key.environmentId);
    const store = (await payloads.get(env)).store();
    const initial = evaluations.get(env.ref, 'client', store, context, hash);
    if (!streams.hasRoomFor(env.ref, hash, context, initial)) {
      deps.metrics.recordPublicRejection('client', 'stream_state_full');
      throw new RateLimitedError(
        'The server holds as many browser stream contexts as it may; retry later',
        [],
        {
          'Retry-After': '30',
        },
      );
    }
    await guards.exposeBrowserContext(env.id, clientAddress(c), context, hash);
    const headers = { ...SSE_HEADERS, ...(await deps.origins.headers(c.req.header('origin'), env.id)) };
    const outgoing = c.env?.outgoing;
    if (!outgoing) {
      // Under app.request() (tests) there is no socket to keep: answer with the `put` alone.
      return new Response(`event: put\nid: ${initial.revision}\ndata: ${initial.json}\n\n`, {
        status: 200,
        headers,
      });
    }
    if (!startEventStream(deps.connections, outgoing, headers, key.id, clientAddress(c))) {
      return RESPONSE_ALREADY_SENT;
    }
    streams.attach(outgoing, env.ref, key.id, context, hash, initial);
    return RESPONSE_ALREADY_SENT;
  });

  const events = createRoute({
    ...base,
    method: 'post',
    path: '/client/v1/events',
    summary:
      "Exposure counts and tracked events from browsers. Counted at the server's minute; an event counts once " +
      '(`count` is ignored); exposures only for visible flags, at most 1,000 per request. Answers how many entries were kept.',
    middleware: [requireClientKey(deps.keys), rate],
    request: { body: jsonBody(clientEventsSchema) },
    responses: responses({
      202: { description: 'How many entries were kept', schema: acceptedEventsSchema },
      400: 'Invalid',
      413: 'Body too large',
      429: 'Too many requests (Retry-After)',
    }),
  });
  app.openapi(events, async (c) => {
    const env = await environmentOf(sdkKeyOf(c).environmentId);
    const store = (await payloads.get(env)).store();
    const accepted = await deps.events.ingest({
      source: 'browser',
      environmentId: env.id,
      address: clientAddress(c),
      store,
      body: c.req.valid('json'),
    });
    return c.json(accepted, 202);
  });

  return streams;
}
