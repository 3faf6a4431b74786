import { ServiceUnavailableError } from '../errors/index.js';
import { CorsOrigins } from '../features/client/cors.js';
import type { EnvironmentReader, SurfaceEnvironment } from '../features/client/environment-cache.js';
import { EvaluationCache } from '../features/client/evaluation-cache.js';
import type { RefusedOriginLog } from '../features/client/refused-origins.js';
import type { RelaySource } from '../features/relay/relay.routes.js';
import type { CachedPayload, PayloadReader } from '../features/sdk/cached-payload.js';
import type { SdkKeyIdentity } from '../features/sdk-keys/sdk-key-identity.js';
import type { EventForwarder } from './event-forwarder.js';
import { keyHash, type RelayEnvironment } from './relay-environment.js';

/** An unknown key makes the relay ask its upstream for keys again at most this often (ms). */
export const UNKNOWN_KEY_REFRESH_MS = 1000;

/** What the SDK-facing routes read on a relay: the same shapes as the server's client surface. */
export interface RelaySurface {
  keys: { lookup(key: string): Promise<SdkKeyIdentity | undefined> };
  environments: EnvironmentReader;
  payloads: PayloadReader;
  origins: CorsOrigins;
  evaluations: EvaluationCache;
  /** What `/relay/v1/*` reads on this relay, so that other relays can follow it. */
  source: RelaySource;
}

/**
 * The relay's answers to what the server reads from its database: keys by their sha256 among the
 * followed environments' live keys, environments and payloads from memory, allowed origins from the
 * upstream. A key the relay does not know makes it ask the upstream again (at most once per
 * {@link UNKNOWN_KEY_REFRESH_MS}, so a flood of made-up keys costs the upstream one request a second),
 * so a key created a moment ago works on its first request.
 *
 * @example
 * const surface = createRelaySurface(environments, forwarder, { now: Date.now });
 */
export function createRelaySurface(
  followed: readonly RelayEnvironment[],
  forwarder: EventForwarder,
  options: { now?: () => number; refusals?: RefusedOriginLog } = {},
): RelaySurface {
  const now = options.now ?? Date.now;
  let lastRefresh = Number.NEGATIVE_INFINITY;

  const identify = (hash: string) => {
    for (const environment of followed) {
      const identity = environment.identify(hash);
      if (identity) return identity;
    }
    return undefined;
  };
  const byId = (id: number) => followed.find((environment) => environment.environment?.id === id);
  const serving = (environment: RelayEnvironment | undefined): SurfaceEnvironment | undefined =>
    environment?.surfaceEnvironment();
  const unavailable = () =>
    new ServiceUnavailableError('The relay has no flags for this environment yet; retry shortly');

  return {
    keys: {
      async lookup(key) {
        const hash = keyHash(key);
        const known = identify(hash);
        if (known) return known;
        if (now() - lastRefresh >= UNKNOWN_KEY_REFRESH_MS) {
          lastRefresh = now();
          await Promise.all(followed.map((environment) => environment.refreshKeys()));
          const found = identify(hash);
          if (found) return found;
        }
        // While the upstream is away, an unknown key cannot be judged (it may have been created
        // meanwhile, or the relay never heard any keys): 503, so SDKs and relays below retry instead
        // of stopping for good as they do on a 401. A made-up key gets its 401 once the upstream is back.
        if (!followed.every((environment) => environment.judgesUnknownKeys())) {
          throw new ServiceUnavailableError(
            'The relay cannot reach its upstream to check this key; retry shortly',
          );
        }
        return undefined;
      },
    },
    environments: {
      async byId(id) {
        const environment = byId(id);
        if (environment?.environment && !environment.payload()) throw unavailable();
        return serving(environment);
      },
      async byKey(key) {
        return serving(followed.find((environment) => environment.environment?.key === key));
      },
      async byRef(ref) {
        return serving(followed.find((environment) => environment.environment?.ref === ref));
      },
    },
    payloads: {
      async get(env): Promise<CachedPayload> {
        const payload = byId(env.id)?.payload();
        if (!payload) throw unavailable();
        return payload;
      },
    },
    origins: new CorsOrigins(
      async () =>
        followed.flatMap((environment) => (environment.environment ? [environment.environment] : [])),
      { now: options.now, refusals: options.refusals },
    ),
    evaluations: new EvaluationCache(),
    source: {
      async keysOf(id) {
        return byId(id)?.relayKeys();
      },
      async ingest(id, batch) {
        return forwarder.relayed(id, batch);
      },
    },
  };
}
