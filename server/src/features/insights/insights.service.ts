import { z } from '@hono/zod-openapi';
import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import { orNull, timestampSchema } from '../../http/openapi-app.js';
import { findEnvironment, listEnvironments } from '../environments/environments.store.js';
import { composeConfig } from '../flags/flag-model.js';
import { flagConfigWireSchema } from '../flags/flag-schemas.js';
import { findFlag, findSegment, listAllConfigs } from '../flags/flags.store.js';
import { lastEvaluatedMinutes, listExposures } from './insights.store.js';
import { type PublishSource, publishRecordSchema, trackPublishes } from './publish-log.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** The longest exposure range one request may ask for. */
export const MAX_EXPOSURE_RANGE_DAYS = 31;

/** How an environment's SDKs are doing: revision, open streams, last patch sent. */
export const environmentDeliverySchema = z
  .object({
    environment: z.string(),
    revision: z.number().int(),
    streams: z.number().int(),
    lastPublish: orNull(publishRecordSchema).openapi({
      description: 'Null until a change is published after the server started.',
    }),
  })
  .openapi('EnvironmentDelivery');
export type EnvironmentDelivery = z.infer<typeof environmentDeliverySchema>;

/** A flag's state in one environment, for the flag list. */
export const flagEnvironmentStateSchema = z
  .object({
    config: flagConfigWireSchema,
    updatedAt: timestampSchema.openapi({ description: "When this environment's config last changed." }),
    lastEvaluatedAt: timestampSchema
      .nullable()
      .openapi({ description: 'The start of the latest minute an SDK reported evaluating it, or null.' }),
  })
  .openapi('FlagEnvironmentState');
export type FlagEnvironmentState = z.infer<typeof flagEnvironmentStateSchema>;

/** Every environment's state of one flag. */
export const flagStatesSchema = z
  .object({ key: z.string(), environments: z.record(z.string(), flagEnvironmentStateSchema) })
  .openapi('FlagStates');
export type FlagStates = z.infer<typeof flagStatesSchema>;

/** Per-minute evaluation counts of one flag in one environment. */
export const exposureSeriesSchema = z
  .object({
    flag: z.string(),
    environment: z.string(),
    since: timestampSchema.openapi({ description: 'The range asked for: its start.' }),
    until: timestampSchema.openapi({ description: 'The range asked for: its end.' }),
    variants: z
      .array(z.string())
      .openapi({ description: 'Variation ids of the flag, then any other variant reported.' }),
    minutes: z
      .array(
        z.object({
          minute: z.number().int().openapi({ description: 'Minutes since 1970-01-01T00:00Z.' }),
          at: timestampSchema,
          counts: z.record(z.string(), z.number().int()),
        }),
      )
      .openapi({ description: 'Minutes with counts, oldest first; minutes without any are left out.' }),
    totals: z.record(z.string(), z.number().int()),
  })
  .openapi('ExposureSeries');
export type ExposureSeries = z.infer<typeof exposureSeriesSchema>;

/** Where a segment is used: flag rules, per environment. */
export const segmentUseSchema = z
  .object({
    flag: z.string(),
    environment: z.string(),
    rules: z.array(z.object({ index: z.number().int(), id: z.string(), name: z.string().optional() })),
  })
  .openapi('SegmentUse');
export type SegmentUse = z.infer<typeof segmentUseSchema>;

const minuteIso = (minute: number) => new Date(minute * MINUTE_MS).toISOString();

/** What {@link createInsightsService} needs. */
export interface InsightsServiceDeps {
  /** Reads only. */
  database: Queryable;
  /** The change hub: open streams, and the patches it sends. */
  hub: PublishSource;
  clock: () => Date;
}

/**
 * Read models the admin UI needs beyond the resources themselves.
 *
 * @example
 * const insights = createInsightsService({ database, hub, clock });
 * await insights.delivery(); // [{ environment: 'production', revision: 12, streams: 3, lastPublish: {…} }]
 */
export function createInsightsService(deps: InsightsServiceDeps) {
  const { database, hub } = deps;
  const lastPublish = trackPublishes(hub, deps.clock);
  return {
    async delivery(): Promise<EnvironmentDelivery[]> {
      return (await listEnvironments(database)).map((env) => ({
        environment: env.key,
        revision: env.revision,
        streams: hub.connectionCount(env.ref),
        lastPublish: lastPublish(env.ref) ?? null,
      }));
    },

    async flagStates(): Promise<FlagStates[]> {
      const envs = new Map((await listEnvironments(database)).map((env) => [env.id, env.key]));
      const evaluated = await lastEvaluatedMinutes(database);
      const byFlag = new Map<string, Record<string, FlagEnvironmentState>>();
      for (const { flag, config } of await listAllConfigs(database)) {
        const env = envs.get(config.environmentId);
        if (env === undefined) continue;
        const minute = evaluated.get(config.environmentId)?.get(flag.key);
        const states = byFlag.get(flag.key) ?? {};
        states[env] = {
          config: composeConfig(flag, config),
          updatedAt: config.updatedAt,
          lastEvaluatedAt: minute === undefined ? null : minuteIso(minute),
        };
        byFlag.set(flag.key, states);
      }
      return [...byFlag.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, environments]) => ({ key, environments }));
    },

    /**
     * Per-minute evaluation counts of a flag in one environment. The range defaults to the 24 hours
     * before `until`, and `until` to now; it may span at most {@link MAX_EXPOSURE_RANGE_DAYS} days.
     */
    async exposures(
      flagKey: string,
      envKey: string,
      range: { since?: string; until?: string } = {},
    ): Promise<ExposureSeries> {
      const until = range.until === undefined ? deps.clock() : new Date(range.until);
      const since = range.since === undefined ? new Date(until.getTime() - DAY_MS) : new Date(range.since);
      if (since > until) {
        throw new ValidationError('Bad range', [{ path: 'query.since', message: 'must not be after until' }]);
      }
      if (until.getTime() - since.getTime() > MAX_EXPOSURE_RANGE_DAYS * DAY_MS) {
        throw new ValidationError('Bad range', [
          { path: 'query.since', message: `the range may span at most ${MAX_EXPOSURE_RANGE_DAYS} days` },
        ]);
      }
      const flag = await findFlag(database, flagKey);
      if (!flag) throw new NotFoundError(`No flag "${flagKey}"`);
      const env = await findEnvironment(database, envKey);
      if (!env) throw new NotFoundError(`No environment "${envKey}"`);
      const from = Math.floor(since.getTime() / MINUTE_MS);
      const to = Math.floor(until.getTime() / MINUTE_MS);
      const variants = (flag.variations as { id: string }[]).map((variation) => variation.id);
      const minutes: ExposureSeries['minutes'] = [];
      const totals: Record<string, number> = Object.fromEntries(variants.map((id) => [id, 0]));
      for (const row of await listExposures(database, env.id, flag.key, from, to)) {
        let bucket = minutes[minutes.length - 1];
        if (bucket?.minute !== row.minute) {
          bucket = { minute: row.minute, at: minuteIso(row.minute), counts: {} };
          minutes.push(bucket);
        }
        bucket.counts[row.variant] = row.count;
        if (!(row.variant in totals)) variants.push(row.variant);
        totals[row.variant] = (totals[row.variant] ?? 0) + row.count;
      }
      return {
        flag: flag.key,
        environment: env.key,
        since: minuteIso(from),
        until: minuteIso(to),
        variants,
        minutes,
        totals,
      };
    },

    async segmentUsage(segmentKey: string): Promise<SegmentUse[]> {
      if (!(await findSegment(database, segmentKey))) throw new NotFoundError(`No segment "${segmentKey}"`);
      const envs = new Map((await listEnvironments(database)).map((env) => [env.id, env]));
      const uses: (SegmentUse & { order: number })[] = [];
      for (const { flag, config } of await listAllConfigs(database)) {
        const env = envs.get(config.environmentId);
        if (!env || flag.archived) continue;
        const rules: SegmentUse['rules'] = [];
        (config.rules as FlagConfig['rules']).forEach((rule, index) => {
          const uses = rule.clauses.some(
            (clause) => clause.op === 'inSegment' && clause.values.includes(segmentKey),
          );
          if (uses)
            rules.push(
              rule.name === undefined ? { index, id: rule.id } : { index, id: rule.id, name: rule.name },
            );
        });
        if (rules.length > 0)
          uses.push({ flag: flag.key, environment: env.key, rules, order: env.sortOrder });
      }
      return uses
        .sort((a, b) => (a.flag === b.flag ? a.order - b.order : a.flag < b.flag ? -1 : 1))
        .map(({ order: _order, ...use }) => use);
    },
  };
}

export type InsightsService = ReturnType<typeof createInsightsService>;
