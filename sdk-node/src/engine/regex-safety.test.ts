import { describe, expect, it } from 'vitest';
import { checkRegex } from './regex-safety.js';

describe('checkRegex', () => {
  it.each([
    '^[a-z]+@example\\.com$',
    '^\\+49[0-9]+$',
    '(foo|bar)+',
    '^(?:staff|admin)$',
    '\\d{3}-\\d{4}',
    '(ab)+c',
    '^[(+*)]+$',
    '(?<year>\\d{4})-(?<month>\\d{2})',
    '(?<=a)b',
  ])('accepts %s', (pattern) => {
    expect(checkRegex(pattern)).toBeNull();
  });

  it.each([
    ['(a+)+$', /nested repetition/],
    ['(\\w*)*x', /nested repetition/],
    ['((ab)*c)+', /nested repetition/],
    ['(a{2,}){3,}', /nested repetition/],
    ['(?:x+y?)+', /nested repetition/],
    ['(a|ab)+$', /alternatives/],
    ['(\\w|\\d)*$', /alternatives/],
    ['(a|a)*', /alternatives/],
    ['(a)\\1', /back-references/],
    ['(?<x>a)\\k<x>', /back-references/],
    ['[a-', /invalid/],
    ['(', /invalid/],
    ['a'.repeat(257), /longer than 256/],
  ])('rejects %s', (pattern, message) => {
    expect(checkRegex(pattern)).toMatch(message);
  });
});
