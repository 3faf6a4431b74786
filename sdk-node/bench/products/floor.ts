import { type FlagSpec, shapeContext, type User } from '../scenario.js';
import type { Subject } from '../subject.js';

/** murmur3_x86_32 state after some leading bytes: the hash, the pending bytes and the byte count. */
interface HashState {
  readonly h: number;
  readonly block: number;
  readonly filled: number;
  readonly length: number;
}

function mix(h: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * murmur3_x86_32 (seed 0) over the UTF-8 bytes of `input`, continuing from `state` (the salt, hashed
 * once). Local state, no allocation, bytes encoded from char codes on the fly: the tightest plain
 * version we know how to write, so that the floor really is one.
 */
function murmur3Utf8(state: HashState, input: string): number {
  let h = state.h;
  let block = state.block;
  let filled = state.filled;
  let length = state.length;
  for (let i = 0; i < input.length; i++) {
    let c = input.charCodeAt(i);
    let bytes: number; // up to four UTF-8 bytes, first byte lowest
    let count: number;
    if (c < 0x80) {
      bytes = c;
      count = 1;
    } else if (c < 0x800) {
      bytes = 0xc0 | (c >> 6) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < input.length) {
      c = 0x10000 + ((c - 0xd800) << 10) + (input.charCodeAt(++i) - 0xdc00);
      bytes =
        0xf0 |
        (c >> 18) |
        ((0x80 | ((c >> 12) & 0x3f)) << 8) |
        ((0x80 | ((c >> 6) & 0x3f)) << 16) |
        ((0x80 | (c & 0x3f)) << 24);
      count = 4;
    } else {
      bytes = 0xe0 | (c >> 12) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
      count = 3;
    }
    for (let b = 0; b < count; b++) {
      block |= ((bytes >>> (b << 3)) & 0xff) << (filled << 3);
      length++;
      if (++filled === 4) {
        h = mix(h, block);
        block = 0;
        filled = 0;
      }
    }
  }
  if (filled > 0) {
    let k = Math.imul(block, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes the salt once (ASCII flag keys, so one byte per char). */
function saltState(salt: string): HashState {
  let h = 0;
  let block = 0;
  let filled = 0;
  for (let i = 0; i < salt.length; i++) {
    block |= (salt.charCodeAt(i) & 0xff) << (filled << 3);
    if (++filled === 4) {
      h = mix(h, block);
      block = 0;
      filled = 0;
    }
  }
  return { h, block, filled, length: salt.length };
}

type Rule = (user: User) => boolean;

/** The rules of one flag as a hand-written function: no config, no reasons, no error handling. */
function handWritten(spec: FlagSpec): Rule {
  if (spec.kind === 'on-for-everyone') return () => true;
  const listed = new Set(spec.listedKeys);
  const { group, emailSuffix } = spec;
  const salt = saltState(`${spec.key}.`);
  const threshold = spec.rolloutPercent * 1000;
  return (user) => {
    const key = user.key;
    if (listed.has(key)) return true;
    const groups = user.groups;
    if (groups?.includes(group)) return true;
    const email = user.email;
    if (email?.endsWith(emailSuffix)) return true;
    return murmur3Utf8(salt, key) % 100_000 < threshold;
  };
}

/**
 * The floor: each flag's rules written by hand as a plain function, looked up by key in a Map, with
 * the same bucketing as Ringflag (so its answers match Ringflag's exactly, rollout included).
 */
export async function createFloor(flags: readonly FlagSpec[]): Promise<Subject> {
  const byKey = new Map<string, Rule>(flags.map((spec) => [spec.key, handWritten(spec)]));
  const all = flags.map((spec) => ({ key: spec.key, rule: handWritten(spec) }));
  const allFlags = (context: unknown): Record<string, boolean> => {
    const out: Record<string, boolean> = {};
    for (let i = 0; i < all.length; i++) {
      const flag = all[i] as (typeof all)[number];
      out[flag.key] = flag.rule(context as User);
    }
    return out;
  };
  return {
    name: 'hand-written JS',
    async: false,
    toContext: (user: User) =>
      shapeContext<User>(user, {
        keyOnly: (key) => ({ key }),
        withEmail: (key, email) => ({ key, email }),
        withGroups: (key, groups) => ({ key, groups }),
        withBoth: (key, groups, email) => ({ key, groups, email }),
      }),
    evaluator: (flagKey) => (context) => {
      const rule = byKey.get(flagKey);
      return rule?.(context as User) === true;
    },
    allFlags,
    allValues: async (context) => allFlags(context),
    close: async () => {},
  };
}
