import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import type { EnvironmentRef } from '../../db/schema.js';
import { NotFoundError } from '../../errors/index.js';
import { clientAddress } from '../../http/client-address.js';
import type { ConnectionGuard } from '../../http/connection-guard.js';
import { etagOf, versionFromTag } from '../../http/etag.js';
import { jsonBody, responses } from '../../http/openapi-app.js';
import type { ChangeFeed } from '../../stream/change-feed.js';
import type { ChangeHub } from '../../stream/change-hub.js';
import { openStream, SSE_HEADERS, type StreamStart } from '../../stream/open-stream.js';
import { sseFrame } from '../../stream/sse-frame.js';
import type { EnvironmentReader } from '../client/environment-cache.js';
import type { SdkKeyLookup } from '../client/sdk-key-lookup.js';
import { sdkPayloadWireSchema } from '../flags/flag-schemas.js';
import type { PayloadReader } from './cached-payload.js';
import type { EventIngest } from './event-ingest.js';
import { requireSdkKey, sdkKeyOf } from './sdk-auth.js';
import { acceptedEventsSchema, sdkEventsSchema } from './sdk-events.js';

const SDK_SECURITY: Record<string, string[]>[] = [{ sdkKey: [] }];
const base = { tags: ['server SDK'], security: SDK_SECURITY };

/** What {@link registerSdkRoutes} needs (the client surface provides `keys`, `environments`, `payloads`). */
export interface SdkRouteDeps {
  keys: Pick<SdkKeyLookup, 'lookup'>;
  environments: Pick<EnvironmentReader, 'byId'>;
  payloads: PayloadReader;
  /** Where `POST /sdk/v1/events` goes (shared with the browser surface). */
  events: Pick<EventIngest, 'ingest'>;
  hub: ChangeHub;
  /** Answers `Last-Event-ID` from memory or the change log. */
  feed: Pick<ChangeFeed, 'missedSince'>;
  connections: ConnectionGuard;
}

/** Registers the server SDK surface (DESIGN §6–7): payload, stream, events. */
export function registerSdkRoutes(app: OpenAPIHono<AppEnv>, deps: SdkRouteDeps): void {
  const auth = requireSdkKey(deps.keys, 'server');
  const environmentOf = async (id: number) => {
    const env = await deps.environments.byId(id, { fresh: true });
    if (!env) throw new NotFoundError('The environment of this key no longer exists');
    return env;
  };

  const flags = createRoute({
    ...base,
    method: 'get',
    path: '/sdk/v1/flags',
    summary: 'The full payload { revision, flags, segments } (ETag = revision; 304 on If-None-Match)',
    middleware: [auth],
    responses: responses({
      200: { description: 'The payload', schema: sdkPayloadWireSchema },
      304: 'Unchanged',
      401: 'Bad key',
      403: 'Not a server key',
    }),
  });
  app.openapi(flags, async (c) => {
    const env = await environmentOf(sdkKeyOf(c).environmentId);
    if (versionFromTag(c.req.header('if-none-match')) === env.revision) {
      return c.body(null, 304, { ETag: etagOf(env.revision), 'cache-control': 'no-cache' });
    }
    // The payload's own revision: while the database is unreachable it may be the last one held.
    const payload = await deps.payloads.get(env);
    return c.body(payload.json, 200, {
      ETag: etagOf(payload.revision),
      'content-type': 'application/json',
      'cache-control': 'no-cache',
    });
  });

  const stream = createRoute({
    ...base,
    method: 'get',
    path: '/sdk/v1/stream',
    summary:
      'Server-sent events: `put` {revision, flags, segments} on connect, `patch` {revision, flags, segments} per ' +
      'change (null = removed), `id` = revision, Last-Event-ID catch-up, comment heartbeat every 15 s',
    middleware: [auth],
    responses: responses({
      200: { description: 'The event stream', schema: z.string(), mediaType: 'text/event-stream' },
      401: 'Bad key',
      403: 'Not a server key',
    }),
  });

  /**
   * The database part of a stream: the key's environment, and the frames that bring its client up to
   * date (the patches since its Last-Event-ID while they can still be replayed, else a `put`).
   */
  const streamStart = async (
    environmentId: number,
    lastEventId: number | undefined,
  ): Promise<StreamStart & { environment: EnvironmentRef }> => {
    const env = await environmentOf(environmentId);
    // Any replica answers a reconnect: from its memory, else from the change log.
    const missed =
      lastEventId === undefined || Number.isNaN(lastEventId)
        ? null
        : await deps.feed.missedSince(env.ref, lastEventId, env.revision);
    if (missed) return { environment: env.ref, revision: env.revision, frames: missed };
    const payload = await deps.payloads.get(env);
    const put = Buffer.from(sseFrame('put', payload.revision, payload.json));
    return { environment: env.ref, revision: payload.revision, frames: [put] };
  };

  app.openapi(stream, async (c) => {
    const key = sdkKeyOf(c);
    const start = await streamStart(key.environmentId, versionFromTag(c.req.header('last-event-id')));
    const outgoing = c.env?.outgoing;
    if (!outgoing) {
      // Under app.request() (tests) there is no socket to keep: answer with the initial events.
      return new Response(Buffer.concat(start.frames), { status: 200, headers: SSE_HEADERS });
    }
    // From here on the stream belongs to the Node response: the hub and the connection guard hold what
    // it needs, and nothing keeps this handler's context (the adapter keeps only its light request
    // object, for its own close listener).
    openStream(
      deps.hub,
      deps.connections,
      outgoing,
      { environment: start.environment, keyId: key.id, address: clientAddress(c) },
      start,
    );
    return RESPONSE_ALREADY_SENT;
  });

  const events = createRoute({
    ...base,
    method: 'post',
    path: '/sdk/v1/events',
    summary:
      'Exposure counts per flag, variant and minute, and tracked events (minutes more than 5 minutes old or in the future are filed under the nearest allowed minute)',
    middleware: [auth],
    request: { body: jsonBody(sdkEventsSchema) },
    responses: responses({
      202: { description: 'How many were accepted', schema: acceptedEventsSchema },
      400: 'Invalid',
    }),
  });
  app.openapi(events, async (c) => {
    const accepted = await deps.events.ingest({
      source: 'server',
      environmentId: sdkKeyOf(c).environmentId,
      body: c.req.valid('json'),
    });
    return c.json(accepted, 202);
  });
}
