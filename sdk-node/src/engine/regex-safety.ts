import { LIMITS } from './limits.js';

/**
 * Checks a `matches` pattern before it is stored, so that no config can make an SDK backtrack for
 * seconds on a crafted attribute. Returns a message saying what is wrong, or `null` when it is safe.
 *
 * Rejected: patterns longer than {@link LIMITS.regexLength}, invalid syntax, back-references, nested
 * repetition (a repeated group that itself repeats: `(a+)+`, `(\w*)*`, `(a{2,}){3,}`), and a repeated
 * group with alternatives that can start alike (`(a|ab)+`, `(\w|\d)*`). A repeated alternation of plain
 * words with distinct first letters (`(foo|bar)+`) is accepted. This is the star-height test of
 * safe-regex plus the overlapping-alternation case; it is conservative, never exhaustive: polynomial
 * patterns such as `.*a.*b` pass, which is why context strings are also limited in length.
 *
 * @example
 * checkRegex('^[a-z]+@example\\.com$'); // null
 * checkRegex('(a+)+$'); // 'nested repetition …'
 */
export function checkRegex(pattern: string): string | null {
  if (pattern.length > LIMITS.regexLength) {
    return `regular expression is longer than ${LIMITS.regexLength} characters`;
  }
  try {
    new RegExp(pattern);
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message}`;
  }
  return scan(pattern);
}

interface Frame {
  /** Index just after the opening parenthesis (or 0 for the whole pattern). */
  start: number;
  repeats: boolean;
  alternation: boolean;
}

interface Atom {
  group: Frame | null;
  /** Source of the group's body, for the alternation check. */
  body: string;
}

function scan(pattern: string): string | null {
  const stack: Frame[] = [{ start: 0, repeats: false, alternation: false }];
  let last: Atom | null = null;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    const frame = stack[stack.length - 1] as Frame;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) {
        return 'back-references are not allowed: they can backtrack catastrophically';
      }
      i++;
      last = { group: null, body: '' };
    } else if (ch === '[') {
      i = skipClass(pattern, i);
      last = { group: null, body: '' };
    } else if (ch === '(') {
      const start = groupBodyStart(pattern, i);
      stack.push({ start, repeats: false, alternation: false });
      i = start - 1;
      last = null;
    } else if (ch === ')') {
      const closed = stack.pop() as Frame;
      const parent = stack[stack.length - 1] as Frame;
      parent.repeats ||= closed.repeats;
      last = { group: closed, body: pattern.slice(closed.start, i) };
    } else if (ch === '|') {
      frame.alternation = true;
      last = null;
    } else if (
      ch === '*' ||
      ch === '+' ||
      ch === '?' ||
      (ch === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)))
    ) {
      let repeating = ch !== '?';
      if (ch === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) as RegExpExecArray;
        repeating = m[2] !== undefined && (m[3] === '' || Number(m[3]) > 1);
        if (m[2] === undefined) repeating = Number(m[1]) > 1;
        i += m[0].length - 1;
      }
      if (pattern[i + 1] === '?') i++;
      if (repeating && last?.group) {
        if (last.group.repeats) {
          return 'nested repetition (a repeated group that repeats inside) can backtrack catastrophically';
        }
        if (last.group.alternation && !distinctLiteralAlternatives(last.body)) {
          return 'a repeated group whose alternatives can start alike can backtrack catastrophically';
        }
      }
      frame.repeats ||= repeating || ch === '?';
      last = null;
    } else {
      last = { group: null, body: '' };
    }
  }
  return null;
}

/** Where the body of the group opened at `open` starts: after `(`, `(?:`, `(?=`, `(?<=`, `(?<name>`. */
function groupBodyStart(pattern: string, open: number): number {
  if (pattern[open + 1] !== '?') return open + 1;
  const kind = pattern[open + 2];
  if (kind === ':' || kind === '=' || kind === '!') return open + 3;
  if (kind === '<') {
    const lookbehind = pattern[open + 3] === '=' || pattern[open + 3] === '!';
    return lookbehind ? open + 4 : pattern.indexOf('>', open) + 1;
  }
  return pattern.indexOf(':', open) + 1;
}

function skipClass(pattern: string, open: number): number {
  for (let i = open + 1; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']' && i > open + 1) return i;
  }
  return pattern.length;
}

function distinctLiteralAlternatives(body: string): boolean {
  const alternatives = body.split('|');
  if (alternatives.some((alt) => alt === '' || /[\\[\](){}.*+?^$|]/.test(alt))) return false;
  const firsts = new Set(alternatives.map((alt) => alt[0]));
  return firsts.size === alternatives.length;
}
