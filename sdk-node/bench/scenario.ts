/**
 * The benchmark's flags and users, described once in a product-neutral form; each product's adapter
 * (products/*.ts) turns them into its own configuration and context shapes.
 */

/** A flag every product must express: either on for everyone, or three rules then a rollout. */
export type FlagSpec =
  | { readonly key: string; readonly kind: 'on-for-everyone' }
  | {
      readonly key: string;
      readonly kind: 'rules-then-rollout';
      /** Rule 1: the user's key is one of these (20 keys). */
      readonly listedKeys: readonly string[];
      /** Rule 2: the user's `groups` contain this group. */
      readonly group: string;
      /** Rule 3: the user's `email` ends with this suffix. */
      readonly emailSuffix: string;
      /** Everyone else: this share (0–100) gets `true`, bucketed by key. */
      readonly rolloutPercent: number;
    };

/** A user as the benchmark sees it; every product's context is derived from it. */
export interface User {
  readonly key: string;
  readonly groups?: readonly string[];
  readonly email?: string;
}

export const GROUP = 'beta';
export const EMAIL_SUFFIX = '@example.com';
export const ROLLOUT_PERCENT = 10;
/** How many contexts the timed loops cycle through (a power of two, indexed with a mask). */
export const CONTEXT_COUNT = 1024;
export const ALL_FLAGS_COUNT = 100;

export const ON_FLAG = 'simple-on';
export const RULES_FLAG = 'rules-rollout';

/** A small, seeded PRNG (mulberry32) so that every run uses the same users. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The keys that rule 1 may list: flags take 20 consecutive ones of these 60, so lists overlap. */
const LISTED_POOL = Array.from({ length: 60 }, (_, i) => `vip-${String(i).padStart(3, '0')}`);

function listFor(index: number): string[] {
  return Array.from({ length: 20 }, (_, j) => LISTED_POOL[(index * 7 + j) % LISTED_POOL.length] as string);
}

function rulesFlag(key: string, index: number, rolloutPercent: number): FlagSpec {
  return {
    key,
    kind: 'rules-then-rollout',
    listedKeys: listFor(index),
    group: GROUP,
    emailSuffix: EMAIL_SUFFIX,
    rolloutPercent,
  };
}

/** Scenarios (a) and (b): one flag on for everyone and one rules-then-rollout flag. */
export function singleFlags(rolloutPercent = ROLLOUT_PERCENT): FlagSpec[] {
  return [{ key: ON_FLAG, kind: 'on-for-everyone' }, rulesFlag(RULES_FLAG, 0, rolloutPercent)];
}

/** Scenario (c): 100 rules-then-rollout flags, each with its own key (salt) and key list. */
export function manyFlags(rolloutPercent = ROLLOUT_PERCENT): FlagSpec[] {
  return Array.from({ length: ALL_FLAGS_COUNT }, (_, i) =>
    rulesFlag(`flag-${String(i).padStart(3, '0')}`, i, rolloutPercent),
  );
}

const OTHER_GROUPS = ['staff', 'ops', 'eu', 'alpha'];
const NAMES = ['ana', 'bo', 'chen', 'dara', 'eli', 'fatma', 'gus', 'hana', 'zoë', 'øystein'];

/**
 * Users spread over every branch of the rules flag: about 8% listed keys, 15% in `beta`, 25% with an
 * `@example.com` email (overlapping), the rest falling through to the rollout. Some have no groups,
 * an empty groups list or no email, and a few have non-ASCII keys (UTF-8 bucketing).
 */
export function makeUsers(count: number, seed: number): User[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const users: User[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    const name = pick(NAMES);
    const key =
      roll < 0.08
        ? pick(LISTED_POOL)
        : roll < 0.1
          ? `${name}-${Math.floor(random() * 1e6)}`
          : `user-${Math.floor(random() * 1e7)}`;
    const groupsRoll = random();
    let groups: string[] | undefined;
    if (groupsRoll < 0.15) groups = [pick(OTHER_GROUPS), GROUP].slice(random() < 0.5 ? 1 : 0);
    else if (groupsRoll < 0.55) groups = [pick(OTHER_GROUPS)];
    else if (groupsRoll < 0.65) groups = [];
    const emailRoll = random();
    const email =
      emailRoll < 0.25
        ? `${name}.${i}${EMAIL_SUFFIX}`
        : emailRoll < 0.85
          ? `${name}.${i}@example.org`
          : undefined;
    // Object literals, so that users have the few shapes real contexts have (no dictionary-mode objects).
    const user: User =
      groups === undefined
        ? email === undefined
          ? { key }
          : { key, email }
        : email === undefined
          ? { key, groups }
          : { key, groups, email };
    users.push(user);
  }
  return users;
}

/** Object literals for each combination of present attributes, as application code writes contexts. */
export interface ContextShapes<T> {
  keyOnly(key: string): T;
  withEmail(key: string, email: string): T;
  withGroups(key: string, groups: readonly string[]): T;
  withBoth(key: string, groups: readonly string[], email: string): T;
}

/**
 * Builds a product's context for a user with one object literal per shape (at most four shapes).
 * Copying generically (spread, rest) makes extra hidden classes as a side effect of the copying,
 * which would tax whichever product's property reads see them; application code has few shapes.
 */
export function shapeContext<T>(user: User, shapes: ContextShapes<T>): T {
  const { key, groups, email } = user;
  if (groups === undefined) return email === undefined ? shapes.keyOnly(key) : shapes.withEmail(key, email);
  return email === undefined ? shapes.withGroups(key, groups) : shapes.withBoth(key, groups, email);
}
