import { z } from '@hono/zod-openapi';
import { type Context, contextSchema } from '@ringflag/sdk-node/engine';
import type { EnvironmentRef } from '../../db/schema.js';
import { clientEventsSchema, sdkEventsSchema } from '../sdk/sdk-events.js';

/** Bounds of a batch a relay reports with `POST /relay/v1/events`. */
export const RELAY_BATCH_LIMITS = {
  /** Reports (one SDK's events body each) per batch. */
  reports: 500,
  /** Browser contexts the relay evaluated, per batch. */
  contexts: 5_000,
  /** Largest body, in bytes (4 MiB). */
  bodyBytes: 4 * 1024 * 1024,
} as const;

/** A client address as a relay reports it (an IPv6 address with a zone fits). */
const addressSchema = z.string().min(1).max(64);

/**
 * What a relay needs to authenticate its environment's SDKs and answer browsers' CORS: the
 * environment, and its keys that are not revoked (oldest first) as the sha256 the server stores.
 *
 * @example
 * { "environment": { "id": 2, "key": "production", "ref": "production", "projectId": 1,
 *     "corsOrigins": ["https://app.example.com"] },
 *   "keys": [{ "id": 7, "type": "server", "hash": "9f86d08…" }, { "id": 8, "type": "client", "hash": "60303ae…" }] }
 */
export const relayKeysSchema = z
  .object({
    environment: z
      .object({
        id: z.number().int(),
        key: z.string(),
        /** The environment's identity across projects (its key in the default project). */
        ref: z.string().optional(),
        projectId: z.number().int().default(1),
        corsOrigins: z.array(z.string()),
      })
      // A server from before projects sends neither: everything there is the default project's.
      .transform(({ ref, ...environment }) => ({
        ...environment,
        ref: (ref ?? environment.key) as EnvironmentRef,
      })),
    keys: z.array(
      z.object({
        id: z.number().int(),
        type: z.enum(['server', 'client']),
        /** sha256 (hex) of the key, as stored in sdk_keys.key_hash. */
        hash: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    ),
  })
  .openapi('RelayKeys');
export type RelayKeys = z.infer<typeof relayKeysSchema>;

/** One SDK's events body taken by a relay: a server SDK's as it sent it, a browser's with its address. */
const relayReportSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('server'), body: sdkEventsSchema }).strict(),
  z.object({ source: z.literal('browser'), address: addressSchema, body: clientEventsSchema }).strict(),
]);

/**
 * The body of `POST /relay/v1/events`: what the SDKs of one environment reported to a relay, and the
 * browser contexts it evaluated (with each browser's address), counted as if they had come to the
 * server directly.
 *
 * @example
 * { "reports": [{ "source": "server", "body": { "exposures": [{ "flag": "f", "variant": "on", "count": 3 }] } },
 *               { "source": "browser", "address": "203.0.113.7", "body": { "events": [{ "event": "clicked" }] } }],
 *   "contexts": [{ "address": "203.0.113.7", "context": { "key": "user-1" } }] }
 */
export const relayEventsBatchSchema = z
  .object({
    reports: z.array(relayReportSchema).max(RELAY_BATCH_LIMITS.reports).default([]),
    contexts: z
      .array(z.object({ address: addressSchema, context: contextSchema }).strict())
      .max(RELAY_BATCH_LIMITS.contexts)
      .default([]),
  })
  .strict()
  .openapi('RelayEventsBatch');
/** A checked batch; its contexts typed as the engine's {@link Context}, which every checked context is. */
export type RelayEventsBatch = Omit<z.infer<typeof relayEventsBatchSchema>, 'contexts'> & {
  contexts: { address: string; context: Context }[];
};

/** How many exposures and events the reports kept, and how many contexts went to the guards. */
export const relayEventsAcceptedSchema = z
  .object({ exposures: z.number().int(), events: z.number().int(), contexts: z.number().int() })
  .openapi('RelayEventsAccepted');
export type RelayEventsAccepted = z.infer<typeof relayEventsAcceptedSchema>;
