import type { FlagSpec, User } from './scenario.js';

/**
 * One product under test, configured with a set of flags. Contexts are converted to the product's
 * own shape before timing (`toContext`), so the timed calls do only what an application would do.
 */
export interface Subject {
  readonly name: string;
  /** Whether `evaluator` and `allFlags` return promises (LaunchDarkly's server SDK does). */
  readonly async: boolean;
  /** The product's context for a user, built once before timing. */
  toContext(user: User): unknown;
  /** The timed call for one flag: the product's own boolean evaluation for `flagKey`. */
  evaluator(flagKey: string): (context: unknown) => unknown;
  /** The timed call for every flag: the product's own "all flags" call, returning its native result. */
  allFlags(context: unknown): unknown;
  /** The booleans `allFlags` returned, by flag key, for the equivalence check (not timed). */
  allValues(context: unknown): Promise<Record<string, boolean>>;
  close(): Promise<void>;
}

/** Builds a subject for a set of flags. */
export type SubjectFactory = (flags: readonly FlagSpec[]) => Promise<Subject>;
