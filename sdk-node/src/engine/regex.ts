import { RE2JS, RE2JSSyntaxException, RE2Set } from 're2js';
import { LIMITS } from './limits.js';

/**
 * `matches` runs on RE2 (the pure-JavaScript port `re2js`), not on JavaScript's backtracking
 * `RegExp`: RE2 matches in time linear in the input whatever the pattern, so no pattern an editor
 * stores can make an evaluation backtrack. What is left to bound is the constant: the compiled size
 * of a pattern and of a config's patterns together ({@link LIMITS.regexProgramSize},
 * {@link LIMITS.regexProgramSizeTotal}), the input's length ({@link LIMITS.regexInputLength}) and the
 * matching state a clause keeps ({@link DFA_MEMORY_BYTES}).
 */

/**
 * Memory of the cached automaton of one `matches` clause: 2 MiB. Past it RE2 drops its cache and, if
 * that keeps happening, falls back to its (still linear, slower) NFA, so hostile inputs cannot grow
 * it. Measured: at 1 MiB the largest Unicode-class patterns allowed kept thrashing (about 100 ms per
 * 4 KB value); at 2 MiB they fit and take well under a millisecond once warm.
 */
export const DFA_MEMORY_BYTES = 2 << 20;

/** What RE2 makes of a pattern: its compiled size in instructions, or why it cannot be stored. */
export type RegexCheck = { ok: true; size: number } | { ok: false; message: string };

/**
 * Checks a `matches` pattern before it is stored: RE2 must compile it within the limits.
 *
 * @example
 * inspectRegex('^[a-z]+@example\\.com$'); // { ok: true, size: 18 }
 * inspectRegex('(?<=a)b'); // { ok: false, message: 'invalid regular expression: lookbehind …' }
 */
export function inspectRegex(pattern: string): RegexCheck {
  if (pattern.length > LIMITS.regexLength) {
    return { ok: false, message: `regular expression is longer than ${LIMITS.regexLength} characters` };
  }
  let size: number;
  try {
    size = RE2JS.compile(pattern).programSize();
  } catch (error) {
    return { ok: false, message: `invalid regular expression: ${syntaxMessage(error)}` };
  }
  if (size > LIMITS.regexProgramSize) {
    return {
      ok: false,
      message: `regular expression is too large once compiled (${size} instructions, at most ${LIMITS.regexProgramSize}): use smaller counted repetitions such as {2,50}`,
    };
  }
  return { ok: true, size };
}

/**
 * Checks a `matches` pattern before it is stored. Returns a message saying what is wrong, or `null`
 * when RE2 compiles it within the limits.
 *
 * @example
 * checkRegex('^[a-z]+@example\\.com$'); // null
 * checkRegex('(?<=a)b'); // 'invalid regular expression: lookbehind …'
 */
export function checkRegex(pattern: string): string | null {
  const check = inspectRegex(pattern);
  return check.ok ? null : check.message;
}

/** RE2's reason, with a word on the JavaScript features RE2 leaves out on purpose. */
function syntaxMessage(error: unknown): string {
  if (!(error instanceof RE2JSSyntaxException)) return error instanceof Error ? error.message : String(error);
  const at = error.input ?? '';
  if (at.startsWith('(?=') || at.startsWith('(?!')) {
    return 'lookahead ((?=…), (?!…)) is not supported: RE2 matches in linear time and has no lookaround';
  }
  if (at.startsWith('(?<=') || at.startsWith('(?<!')) {
    return 'lookbehind ((?<=…), (?<!…)) is not supported: RE2 matches in linear time and has no lookaround';
  }
  if (/^\\[1-9k]/.test(at)) {
    return `back-references (${at}) are not supported: RE2 matches in linear time and has none`;
  }
  if (at.startsWith('\\u')) return 'use \\x{00e9} for a code point: \\u00e9 is JavaScript-only syntax';
  return at === '' ? error.error : `${error.error}: \`${at}\``;
}

/**
 * Compiles the patterns of one `matches` clause into one test that is true when any pattern is found
 * in the value (unanchored, like `RegExp.prototype.test`), in one pass over the value. The caller
 * bounds the value's length ({@link LIMITS.regexInputLength}) and has validated the patterns with
 * {@link checkRegex} (a pattern RE2 cannot parse is left out all the same). Never throws.
 *
 * @example
 * const test = compileRegexTest(['^\\+49', '@example\\.com$']);
 * test('+4930123456'); // true
 */
export function compileRegexTest(patterns: readonly string[]): (value: string) => boolean {
  const set = new RE2Set(RE2Set.UNANCHORED, 0, DFA_MEMORY_BYTES);
  let added = 0;
  for (const pattern of patterns) {
    try {
      set.add(pattern);
      added++;
    } catch {}
  }
  if (added === 0) return () => false;
  try {
    set.compile();
  } catch {
    return () => false;
  }
  return (value) => {
    try {
      return set.match(value).length > 0;
    } catch {
      // RE2 does not throw on any string; this keeps "evaluation never throws" independent of that.
      return false;
    }
  };
}
