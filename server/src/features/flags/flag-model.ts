import type { z } from '@hono/zod-openapi';
import type { FlagConfig, FlagKind, Segment, Variation } from '@ringflag/sdk-node/engine';
import type { flagConfigs, flags, segments } from '../../db/schema.js';
import { ValidationError } from '../../errors/index.js';
import type { flagSchema } from './flag-schemas.js';

export type FlagRow = typeof flags.$inferSelect;
export type FlagConfigRow = typeof flagConfigs.$inferSelect;
export type SegmentRow = typeof segments.$inferSelect;

/** A flag as the admin API shows it (global metadata; configs are per environment). */
export type FlagView = z.infer<typeof flagSchema>;

export function flagView(row: FlagRow): FlagView {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    kind: row.kind,
    variations: row.variations as Variation[],
    tags: row.tags,
    owner: row.owner,
    temporary: row.temporary,
    clientSide: row.clientSide,
    archived: row.archived,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The variations a boolean flag gets when none are given. */
export const BOOLEAN_VARIATIONS: Variation[] = [
  { id: 'off', value: false },
  { id: 'on', value: true },
];

/**
 * Joins a flag's global part and one environment's part into the wire config the SDKs evaluate
 * (DESIGN §2).
 */
export function composeConfig(flag: FlagRow, config: FlagConfigRow): FlagConfig {
  return {
    key: flag.key,
    version: config.version,
    kind: flag.kind,
    variations: flag.variations as FlagConfig['variations'],
    enabled: config.enabled,
    offVariation: config.offVariation,
    prerequisites: config.prerequisites as FlagConfig['prerequisites'],
    targets: config.targets as FlagConfig['targets'],
    rules: config.rules as FlagConfig['rules'],
    fallthrough: config.fallthrough as FlagConfig['fallthrough'],
    clientSide: flag.clientSide,
  };
}

/** A segment in wire form (DESIGN §2). */
export function segmentWire(row: SegmentRow): Segment {
  return {
    key: row.key,
    version: row.version,
    included: row.included,
    excluded: row.excluded,
    rules: row.rules as Segment['rules'],
  };
}

/**
 * What a new flag serves once switched on, before any targeting: `true` for a boolean flag (turning
 * it on turns it on, as users of every flag product expect); for other kinds the off variation, so
 * switching on changes nothing until someone chooses what to serve.
 */
export function defaultOnVariation(
  kind: FlagKind,
  variations: readonly Variation[],
  offVariation: string,
): string {
  if (kind === 'boolean') return variations.find((variation) => variation.value === true)?.id ?? offVariation;
  return offVariation;
}

/**
 * A boolean flag serves `false` when off and `true` when on: exactly two variations, one of each value.
 * Anything else would let a new flag serve `true` the moment it exists, or make the kill switch serve
 * `true`. Throws a {@link ValidationError} naming `variations`.
 */
export function checkBooleanVariations(kind: FlagKind, variations: readonly Variation[] | undefined): void {
  if (kind !== 'boolean' || variations === undefined) return;
  const values = variations.map((variation) => variation.value);
  if (variations.length !== 2 || !values.includes(false) || !values.includes(true)) {
    throw new ValidationError('A boolean flag has one false and one true variation', [
      { path: 'variations', message: 'a boolean flag needs exactly two variations: one false, one true' },
    ]);
  }
}

/** The off variation of a new flag: the `false` one for boolean flags, else the first variation. */
export function defaultOffVariation(kind: FlagKind, variations: readonly Variation[]): string {
  if (kind === 'boolean') {
    return variations.find((variation) => variation.value === false)?.id ?? variations[0]!.id;
  }
  return variations[0]!.id;
}

/**
 * The environment part a flag starts with wherever it is new (a new flag in every environment, every
 * flag in a new environment): off, without targeting, serving {@link defaultOnVariation} once on.
 */
export function initialConfig(
  kind: FlagKind,
  variations: readonly Variation[],
): Pick<FlagConfig, 'enabled' | 'offVariation' | 'prerequisites' | 'targets' | 'rules' | 'fallthrough'> {
  const offVariation = defaultOffVariation(kind, variations);
  return {
    enabled: false,
    offVariation,
    prerequisites: [],
    targets: [],
    rules: [],
    fallthrough: { variation: defaultOnVariation(kind, variations, offVariation) },
  };
}
