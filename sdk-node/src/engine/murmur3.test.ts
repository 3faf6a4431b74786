import { describe, expect, it } from 'vitest';
import { bucketOf } from './bucket.js';
import { murmur3, murmur3Resume, prefixFor } from './murmur3.js';

// DESIGN §3 test vectors.
const VECTORS: [string, number, number | null][] = [
  ['hello world', 1586663183, null],
  ['new-checkout.user-1', 240508746, 8746],
  ['new-checkout.user-42', 1910004125, 4125],
  ['new-checkout.zoë@example.com', 972238372, 38372],
  ['shared-cohort.user-1', 3168391440, 91440],
  ['checkout-backend.42', 4214687964, 87964],
];

describe('murmur3_x86_32', () => {
  it.each(VECTORS)('%s → %i', (input, hash, bucket) => {
    expect(murmur3(input)).toBe(hash);
    if (bucket !== null) {
      const dot = input.indexOf('.');
      expect(bucketOf(input.slice(0, dot), input.slice(dot + 1))).toBe(bucket);
    }
  });

  it('matches hashing the UTF-8 bytes, for every tail length and for astral characters', () => {
    // Reference: the textbook algorithm over TextEncoder's bytes.
    const reference = (input: string): number => {
      const bytes = new TextEncoder().encode(input);
      let h = 0;
      const blocks = bytes.length >> 2;
      for (let i = 0; i < blocks; i++) {
        let k =
          (bytes[i * 4] as number) |
          ((bytes[i * 4 + 1] as number) << 8) |
          ((bytes[i * 4 + 2] as number) << 16) |
          ((bytes[i * 4 + 3] as number) << 24);
        k = Math.imul(k, 0xcc9e2d51);
        k = (k << 15) | (k >>> 17);
        k = Math.imul(k, 0x1b873593);
        h ^= k;
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
      }
      const tail = blocks * 4;
      const rest = bytes.length & 3;
      if (rest > 0) {
        let k = 0;
        if (rest === 3) k ^= (bytes[tail + 2] as number) << 16;
        if (rest >= 2) k ^= (bytes[tail + 1] as number) << 8;
        k ^= bytes[tail] as number;
        k = Math.imul(k, 0xcc9e2d51);
        k = (k << 15) | (k >>> 17);
        k = Math.imul(k, 0x1b873593);
        h ^= k;
      }
      h ^= bytes.length;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      return h >>> 0;
    };
    for (const input of [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'abcde',
      'é',
      'ü€',
      '😀',
      'a😀b',
      '\ud800x',
      'x\udc00',
      '日本語テキスト',
    ]) {
      expect(murmur3(input), JSON.stringify(input)).toBe(reference(input));
    }
  });

  it('resumes after a prefix exactly as hashing the whole string', () => {
    for (const [prefix, rest] of [
      ['', 'x'],
      ['a', 'bcdef'],
      ['abc.', 'zoë'],
      ['new-checkout.', 'user-1'],
      ['😀.', '😀'],
    ] as const) {
      expect(murmur3Resume(prefixFor(prefix), rest)).toBe(murmur3(prefix + rest));
    }
  });
});
