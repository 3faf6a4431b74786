import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../../app-env.js';
import { NotFoundError } from '../../errors/index.js';
import { clientAddress } from '../../http/client-address.js';
import { etagOf, versionFromTag } from '../../http/etag.js';
import { jsonBody, responses } from '../../http/openapi-app.js';
import { openStream, SSE_HEADERS } from '../../stream/open-stream.js';
import { sseFrame } from '../../stream/sse-frame.js';
import { findEnvironmentById } from '../environments/environments.store.js';
import { guardIntake } from '../releases/guard-ingest.js';
import { requireSdkKey, sdkKeyOf } from './sdk-auth.js';
import { recordSdkEvents, sdkEventsSchema } from './sdk-events.js';

const SDK_SECURITY: Record<string, string[]>[] = [{ sdkKey: [] }];
const base = { tags: ['server SDK'], security: SDK_SECURITY };

/** Registers the server SDK surface (DESIGN §6–7): payload, stream, events. */
export function registerSdkRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const auth = requireSdkKey(deps, 'server');
  const environmentOf = (id: number) => {
    const env = findEnvironmentById(deps.db, id);
    if (!env) throw new NotFoundError('The environment of this key no longer exists');
    return env;
  };

  const flags = createRoute({
    ...base,
    method: 'get',
    path: '/sdk/v1/flags',
    summary: 'The full payload { revision, flags, segments } (ETag = revision; 304 on If-None-Match)',
    middleware: [auth],
    responses: responses({ 200: 'The payload', 304: 'Unchanged', 401: 'Bad key', 403: 'Not a server key' }),
  });
  app.openapi(flags, (c) => {
    const env = environmentOf(sdkKeyOf(c).environmentId);
    const etag = etagOf(env.revision);
    if (versionFromTag(c.req.header('if-none-match')) === env.revision) {
      return c.body(null, 304, { ETag: etag, 'cache-control': 'no-cache' });
    }
    const payload = deps.payloads.get(deps.db, env);
    return c.body(payload.json, 200, {
      ETag: etag,
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
    responses: responses({ 200: 'text/event-stream', 401: 'Bad key', 403: 'Not a server key' }),
  });
  app.openapi(stream, (c) => {
    const key = sdkKeyOf(c);
    const env = environmentOf(key.environmentId);
    const lastEventId = versionFromTag(c.req.header('last-event-id'));
    const missed =
      lastEventId === undefined || Number.isNaN(lastEventId)
        ? null
        : deps.hub.missedSince(env.key, lastEventId, env.revision);
    const initial = missed ?? [
      Buffer.from(sseFrame('put', env.revision, deps.payloads.get(deps.db, env).json)),
    ];
    const outgoing = c.env?.outgoing;
    if (!outgoing) {
      // Under app.request() (tests) there is no socket to keep: answer with the initial events.
      return new Response(Buffer.concat(initial), { status: 200, headers: SSE_HEADERS });
    }
    const address = clientAddress(c);
    openStream(
      deps.hub,
      deps.connections,
      outgoing,
      { environment: env.key, keyId: key.id, address },
      initial,
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
    responses: responses({ 202: '{ exposures, events } accepted counts', 400: 'Invalid' }),
  });
  app.openapi(events, (c) => {
    const body = c.req.valid('json');
    const now = deps.clock();
    recordSdkEvents(deps.db, sdkKeyOf(c).environmentId, body, now);
    guardIntake(deps).recordServerReport(sdkKeyOf(c).environmentId, body);
    return c.json({ exposures: body.exposures.length, events: body.events.length }, 202);
  });
}
