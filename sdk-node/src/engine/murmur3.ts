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

// The hashing state is kept in module-level scratch variables so the hot path allocates nothing.
// The evaluator is synchronous and single-threaded, so no call can interleave with another.
let sH1 = 0;
let sTail = 0;
let sTailLength = 0;
let sLength = 0;

function pushByte(byte: number): void {
  sTail |= byte << (sTailLength << 3);
  sLength++;
  if (++sTailLength === 4) {
    sH1 = mixBlock(sH1, sTail);
    sTail = 0;
    sTailLength = 0;
  }
}

function pushString(input: string): void {
  const n = input.length;
  for (let i = 0; i < n; i++) {
    let c = input.charCodeAt(i);
    if (c < 0x80) {
      pushByte(c);
    } else if (c < 0x800) {
      pushByte(0xc0 | (c >> 6));
      pushByte(0x80 | (c & 0x3f));
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const low = input.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i++;
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        pushByte(0xf0 | (c >> 18));
        pushByte(0x80 | ((c >> 12) & 0x3f));
        pushByte(0x80 | ((c >> 6) & 0x3f));
        pushByte(0x80 | (c & 0x3f));
      } else {
        pushLoneSurrogate();
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      pushLoneSurrogate();
    } else {
      pushByte(0xe0 | (c >> 12));
      pushByte(0x80 | ((c >> 6) & 0x3f));
      pushByte(0x80 | (c & 0x3f));
    }
  }
}

/** A lone surrogate is not encodable; TextEncoder writes U+FFFD (EF BF BD), and so do we. */
function pushLoneSurrogate(): void {
  pushByte(0xef);
  pushByte(0xbf);
  pushByte(0xbd);
}

/** Hashes `prefix` once so that {@link murmur3Resume} can continue after it. */
export function prefixFor(prefix: string, seed = 0): Murmur3Prefix {
  sH1 = seed | 0;
  sTail = 0;
  sTailLength = 0;
  sLength = 0;
  pushString(prefix);
  return Object.freeze({ h1: sH1, tail: sTail, tailLength: sTailLength, length: sLength });
}

/** murmur3 of the prefix's bytes followed by the UTF-8 bytes of `input`, as an unsigned 32-bit number. */
export function murmur3Resume(prefix: Murmur3Prefix, input: string): number {
  sH1 = prefix.h1;
  sTail = prefix.tail;
  sTailLength = prefix.tailLength;
  sLength = prefix.length;
  pushString(input);
  let h1 = sH1;
  if (sTailLength > 0) {
    let k1 = Math.imul(sTail, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
  }
  h1 ^= sLength;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

const EMPTY_PREFIX_SEED0: Murmur3Prefix = prefixFor('', 0);
