import { createHash } from 'node:crypto';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { NotFoundError } from '../../errors/index.js';
import { limitBodySize } from '../../http/body-limit.js';
import { rejectIllFormedStrings } from '../../http/json-body.js';
import { jsonBody, responses } from '../../http/openapi-app.js';
import { etagMatches } from '../client/etag.js';
import type { SdkKeyLookup } from '../client/sdk-key-lookup.js';
import { requireSdkKey, sdkKeyOf } from '../sdk/sdk-auth.js';
import {
  RELAY_BATCH_LIMITS,
  type RelayEventsAccepted,
  type RelayEventsBatch,
  type RelayKeys,
  relayEventsAcceptedSchema,
  relayEventsBatchSchema,
  relayKeysSchema,
} from './relay-wire.js';

/**
 * Where the relay endpoints read and write: the server's database (relay-source.ts), or, in a relay
 * that other relays follow, the relay's own upstream.
 */
export interface RelaySource {
  /** The environment's non-revoked keys and allowed origins (undefined when the environment is gone). */
  keysOf(environmentId: number): Promise<RelayKeys | undefined>;
  /** Takes a batch reported through a relay for the key's environment. */
  ingest(environmentId: number, batch: RelayEventsBatch): Promise<RelayEventsAccepted>;
}

/** What {@link registerRelayRoutes} needs. */
export interface RelayRouteDeps {
  keys: Pick<SdkKeyLookup, 'lookup'>;
  source: RelaySource;
}

const SDK_SECURITY: Record<string, string[]>[] = [{ sdkKey: [] }];
const base = { tags: ['relay'], security: SDK_SECURITY };

/**
 * The strong ETag of a keys answer: a hash of its JSON text, so it changes with any key, revocation
 * or allowed origin.
 *
 * @example
 * relayKeysEtag('{"environment":…}'); // '"k-3q2+7w…"' (22 base64url characters after "k-")
 */
export function relayKeysEtag(json: string): string {
  return `"k-${createHash('sha256').update(json).digest('base64url').slice(0, 22)}"`;
}

/**
 * Registers the surface a relay follows, authenticated with a server SDK key of the environment
 * (looked up fresh): `GET /relay/v1/keys`, the environment's live keys and allowed origins (ETag, 304
 * on If-None-Match), and `POST /relay/v1/events`, the SDK reports and browser contexts the relay took,
 * bounded by {@link RELAY_BATCH_LIMITS}. The server and every relay register it, each over its own
 * {@link RelaySource}, so relays can follow relays.
 *
 * @example
 * registerRelayRoutes(app, { keys: surface.keys, source: services.relay });
 */
export function registerRelayRoutes(app: OpenAPIHono<AppEnv>, deps: RelayRouteDeps): void {
  const auth = requireSdkKey(deps.keys, 'server');
  app.use('/relay/*', limitBodySize(RELAY_BATCH_LIMITS.bodyBytes));
  app.use('/relay/*', rejectIllFormedStrings());

  const keys = createRoute({
    ...base,
    method: 'get',
    path: '/relay/v1/keys',
    summary:
      "The key's environment { id, key, corsOrigins } and its keys that are not revoked { id, type, hash = sha256 hex }, " +
      'oldest first (ETag = a hash of the answer; 304 on If-None-Match)',
    middleware: [auth],
    responses: responses({
      200: { description: 'The environment and its keys', schema: relayKeysSchema },
      304: 'Unchanged',
      401: 'Bad key',
      403: 'Not a server key',
      404: 'The environment no longer exists',
    }),
  });
  app.openapi(keys, async (c) => {
    const answer = await deps.source.keysOf(sdkKeyOf(c).environmentId);
    if (!answer) throw new NotFoundError('The environment of this key no longer exists');
    const json = JSON.stringify(answer);
    const etag = relayKeysEtag(json);
    if (etagMatches(c.req.header('if-none-match'), etag)) {
      return c.body(null, 304, { ETag: etag, 'cache-control': 'no-store' });
    }
    return c.body(json, 200, { ETag: etag, 'content-type': 'application/json', 'cache-control': 'no-store' });
  });

  const events = createRoute({
    ...base,
    method: 'post',
    path: '/relay/v1/events',
    summary:
      "SDK reports a relay took for the key's environment, counted as the server counts them: a server SDK's as " +
      "`/sdk/v1/events` does, a browser's as `/client/v1/events` does for its address; and the browser contexts the " +
      'relay evaluated, which the release guards count as `/client/v1/evaluate` does (at most 500 reports and 5,000 ' +
      'contexts, 4 MiB)',
    middleware: [auth],
    request: { body: jsonBody(relayEventsBatchSchema) },
    responses: responses({
      202: { description: 'How many were kept', schema: relayEventsAcceptedSchema },
      400: 'Invalid',
      401: 'Bad key',
      403: 'Not a server key',
      404: 'The environment no longer exists',
      413: 'Body too large',
    }),
  });
  app.openapi(events, async (c) => {
    const accepted = await deps.source.ingest(sdkKeyOf(c).environmentId, c.req.valid('json'));
    return c.json(accepted, 202);
  });
}
