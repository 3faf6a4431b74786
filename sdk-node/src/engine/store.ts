import {
  asMalformed,
  type CompiledFlag,
  type CompiledSegment,
  compileFlag,
  compileSegment,
} from './compile.js';
import { prerequisiteCycle } from './prerequisites.js';
import type { SdkPayload } from './schema.js';
import { ResultShape } from './shape.js';

/**
 * A compiled, immutable snapshot of one environment's flags and segments: what the evaluator reads.
 * Build it once per payload with {@link createStore}; apply stream patches with {@link applyPatch}.
 */
export interface FlagStore {
  readonly revision: number;
  readonly flags: ReadonlyMap<string, CompiledFlag>;
  readonly segments: ReadonlyMap<string, CompiledSegment>;
  /** Every flag: what "all flags" with details walks. */
  readonly all: FlagSelection;
  /** The flags that are not malformed: what "all flags" values walks. */
  readonly evaluable: FlagSelection;
  /** The flags client keys may see (`clientSide`): what "all flags" walks for them. */
  readonly clientSide: FlagSelection;
}

/**
 * Flags an "all flags" call walks, in `flags` order (arrays, not Map entries), and the shape of the
 * object it returns, prepared with the snapshot.
 */
export interface FlagSelection {
  readonly flags: readonly CompiledFlag[];
  /** Its keys are the keys of `flags`. */
  readonly shape: ResultShape;
}

/** A stream `patch`: changed flags and segments; `null` means deleted (or archived). */
export interface SdkPatch {
  revision: number;
  flags?: Record<string, unknown>;
  segments?: Record<string, unknown>;
}

/**
 * Compiles an SDK payload (`GET /sdk/v1/flags`, a stream's `put`, a bootstrap file). Invalid flags
 * become malformed flags (their evaluations return the default with `MALFORMED_FLAG`); never throws.
 *
 * @example
 * const store = createStore({ revision: 1, flags: { 'new-checkout': config }, segments: {} });
 */
export function createStore(
  payload:
    | SdkPayload
    | { revision: number; flags: Record<string, unknown>; segments?: Record<string, unknown> },
): FlagStore {
  const flags = new Map<string, CompiledFlag>();
  for (const [key, config] of Object.entries(payload.flags ?? {})) flags.set(key, compileFlag(config));
  const segments = new Map<string, CompiledSegment>();
  for (const [key, segment] of Object.entries(payload.segments ?? {}))
    segments.set(key, compileSegment(segment));
  return seal(payload.revision, flags, segments);
}

/** An empty store, for an SDK that has no data yet. */
export const EMPTY_STORE: FlagStore = createStore({ revision: 0, flags: {}, segments: {} });

/**
 * Applies a patch, returning the new snapshot and the keys of every flag whose evaluation may have
 * changed: patched flags, flags whose clauses name a patched segment, and flags that depend on any of
 * those as prerequisites.
 */
export function applyPatch(store: FlagStore, patch: SdkPatch): { store: FlagStore; changed: string[] } {
  const flags = new Map(store.flags);
  const segments = new Map(store.segments);
  const touched = new Set<string>();
  for (const [key, config] of Object.entries(patch.flags ?? {})) {
    if (config === null) flags.delete(key);
    else flags.set(key, compileFlag(config));
    touched.add(key);
  }
  for (const [key, segment] of Object.entries(patch.segments ?? {})) {
    if (segment === null) segments.delete(key);
    else segments.set(key, compileSegment(segment));
  }
  const changed = affectedFlags(flags, touched, Object.keys(patch.segments ?? {}));
  return { store: seal(patch.revision, flags, segments, store), changed };
}

/**
 * The keys of flags whose evaluation may differ between two snapshots: added, removed or re-versioned
 * flags, flags naming a changed segment, and their dependants. Used when a full payload replaces data.
 */
export function changedFlags(before: FlagStore, after: FlagStore): string[] {
  const touched = new Set<string>();
  for (const [key, flag] of after.flags) {
    const old = before.flags.get(key);
    if (!old || old.version !== flag.version || old.config === null || flag.config === null) touched.add(key);
  }
  for (const key of before.flags.keys()) if (!after.flags.has(key)) touched.add(key);
  const segments: string[] = [];
  for (const [key, segment] of after.segments) {
    if (before.segments.get(key)?.segment?.version !== segment.segment?.version) segments.push(key);
  }
  for (const key of before.segments.keys()) if (!after.segments.has(key)) segments.push(key);
  return affectedFlags(after.flags, touched, segments);
}

function affectedFlags(
  flags: ReadonlyMap<string, CompiledFlag>,
  touched: Set<string>,
  segmentKeys: readonly string[],
): string[] {
  if (segmentKeys.length > 0) {
    for (const [key, flag] of flags) {
      if (segmentKeys.some((segment) => flag.segmentKeys.has(segment))) touched.add(key);
    }
  }
  // Dependants of changed flags change too, transitively.
  let grew = touched.size > 0;
  while (grew) {
    grew = false;
    for (const [key, flag] of flags) {
      if (!touched.has(key) && flag.prerequisites.some((p) => touched.has(p.key))) {
        touched.add(key);
        grew = true;
      }
    }
  }
  return [...touched];
}

/** A snapshot of `flags` and `segments`; `previous` lends its result shapes where the keys are alike. */
function seal(
  revision: number,
  flags: Map<string, CompiledFlag>,
  segments: Map<string, CompiledSegment>,
  previous?: FlagStore,
): FlagStore {
  // Cycles are rejected at write time; a payload that has one anyway must not recurse forever.
  const edges = (key: string) => flags.get(key)?.prerequisites.map((p) => p.key) ?? [];
  const cyclic: [string, string[]][] = [];
  for (const [key, flag] of flags) {
    if (flag.prerequisites.length === 0) continue;
    const cycle = prerequisiteCycle(key, edges);
    if (cycle) cyclic.push([key, cycle]);
  }
  for (const [key, cycle] of cyclic) {
    flags.set(key, asMalformed(flags.get(key) as CompiledFlag, `prerequisite cycle: ${cycle.join(' → ')}`));
  }
  // A patch that adds, removes or breaks no flag keeps the shapes, and with them the code V8 has
  // already optimised for filling them.
  const select = (
    keep: (flag: CompiledFlag) => boolean,
    before: FlagSelection | undefined,
  ): FlagSelection => {
    const keys: string[] = [];
    const list: CompiledFlag[] = [];
    for (const [key, flag] of flags) {
      if (!keep(flag)) continue;
      keys.push(key);
      list.push(flag);
    }
    return { flags: list, shape: before?.shape.hasKeys(keys) ? before.shape : new ResultShape(keys) };
  };
  return {
    revision,
    flags,
    segments,
    all: select(() => true, previous?.all),
    evaluable: select((flag) => flag.config !== null, previous?.evaluable),
    clientSide: select((flag) => flag.clientSide, previous?.clientSide),
  };
}
