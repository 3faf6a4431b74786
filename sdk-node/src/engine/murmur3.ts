/**
 * MurmurHash3 x86 32-bit over the UTF-8 bytes of a JavaScript string, without allocating.
 *
 * The string is encoded on the fly: each UTF-16 code unit (or surrogate pair) is turned into its
 * UTF-8 bytes, which are packed little-endian into 4-byte blocks as murmur3 expects. A prefix
 * (`"<salt>."` for bucketing) can be hashed once into a {@link Murmur3Prefix} and resumed for every
 * value, so a rollout hashes only the context's own bytes per evaluation.
 *
 * @example
 * murmur3('hello world'); // 1586663183
 */
export function murmur3(input: string, seed = 0): number {
  return murmur3Resume(seed === 0 ? EMPTY_PREFIX_SEED0 : prefixFor('', seed), input);
}

/** The hash state after some leading bytes, to resume hashing from. Immutable. */
export interface Murmur3Prefix {
  readonly h1: number;
  /** Pending bytes not yet forming a whole block, packed little-endian. */
  readonly tail: number;
  /** How many pending bytes (0–3). */
  readonly tailLength: number;
  /** Total bytes consumed. */
  readonly length: number;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h1: number, k1: number): number {
  let k = Math.imul(k1, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  let h = h1 ^ k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

// Where `hash` leaves its state when asked not to finalise (only `prefixFor` asks, off the hot path).
let pendingH1 = 0;
let pendingTail = 0;
let pendingTailLength = 0;
let pendingLength = 0;

/**
 * The whole algorithm in one function with its state in locals, so that the optimiser keeps it in
 * registers: continue from `state` over the UTF-8 bytes of `input`, then finalise (and return the
 * hash) or park the state for {@link prefixFor}. Allocates nothing. (Passing the state as one object
 * measured faster than passing its four numbers as arguments.)
 */
function hash(state: Murmur3Prefix, input: string, finalise: boolean): number {
  let h1 = state.h1;
  let tail = state.tail;
  let tailLength = state.tailLength;
  let length = state.length;
  const n = input.length;
  for (let i = 0; i < n; i++) {
    let c = input.charCodeAt(i);
    if (c < 0x80) {
      // ASCII, the common case: one byte, no inner loop.
      tail |= c << (tailLength << 3);
      length++;
      if (++tailLength === 4) {
        h1 = mixBlock(h1, tail);
        tail = 0;
        tailLength = 0;
      }
      continue;
    }
    // Up to four UTF-8 bytes, packed first byte lowest.
    let bytes: number;
    let count: number;
    if (c < 0x800) {
      bytes = 0xc0 | (c >> 6) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (input.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (input.charCodeAt(++i) - 0xdc00);
      bytes =
        0xf0 |
        (c >> 18) |
        ((0x80 | ((c >> 12) & 0x3f)) << 8) |
        ((0x80 | ((c >> 6) & 0x3f)) << 16) |
        ((0x80 | (c & 0x3f)) << 24);
      count = 4;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate is not encodable; TextEncoder writes U+FFFD (EF BF BD), and so do we.
      bytes = 0xef | (0xbf << 8) | (0xbd << 16);
      count = 3;
    } else {
      bytes = 0xe0 | (c >> 12) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
      count = 3;
    }
    length += count;
    for (let b = 0; b < count; b++) {
      tail |= ((bytes >>> (b << 3)) & 0xff) << (tailLength << 3);
      if (++tailLength === 4) {
        h1 = mixBlock(h1, tail);
        tail = 0;
        tailLength = 0;
      }
    }
  }
  if (!finalise) {
    pendingH1 = h1;
    pendingTail = tail;
    pendingTailLength = tailLength;
    pendingLength = length;
    return 0;
  }
  if (tailLength > 0) {
    let k1 = Math.imul(tail, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
  }
  h1 ^= length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

/** Hashes `prefix` once so that {@link murmur3Resume} can continue after it. */
export function prefixFor(prefix: string, seed = 0): Murmur3Prefix {
  hash({ h1: seed | 0, tail: 0, tailLength: 0, length: 0 }, prefix, false);
  return Object.freeze({
    h1: pendingH1,
    tail: pendingTail,
    tailLength: pendingTailLength,
    length: pendingLength,
  });
}

/** murmur3 of the prefix's bytes followed by the UTF-8 bytes of `input`, as an unsigned 32-bit number. */
export function murmur3Resume(prefix: Murmur3Prefix, input: string): number {
  return hash(prefix, input, true);
}

const EMPTY_PREFIX_SEED0: Murmur3Prefix = prefixFor('', 0);
