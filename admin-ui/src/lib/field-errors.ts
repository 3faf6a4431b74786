import { APIError, type FieldError } from '../api';

/**
 * Field errors of a problem+json response, found by path. `at('rules[0].clauses[0].values')` returns
 * the messages for that field and anything inside it (`values[0]`, `values[1]`), so an input that edits
 * a list shows the errors of its items.
 *
 * @example
 * const errors = new FieldErrors(apiError.errors);
 * errors.at('rules[0].clauses[0].values'); // ['value 1: nested repetition …']
 */
export class FieldErrors {
  static readonly none = new FieldErrors([]);

  /** The field errors of a failed request: none unless it is an {@link APIError}. */
  static of(error: unknown): FieldErrors {
    return error instanceof APIError ? new FieldErrors(error.errors) : FieldErrors.none;
  }

  constructor(readonly all: readonly FieldError[]) {}

  get size(): number {
    return this.all.length;
  }

  /**
   * Messages for `path` and the items within it, each prefixed with the item's position
   * (`value 1: …` when `item` is "value").
   */
  at(path: string, item = 'item'): string[] {
    const out: string[] = [];
    for (const error of this.all) {
      if (error.path === path) out.push(error.message);
      else if (error.path.startsWith(`${path}[`) || error.path.startsWith(`${path}.`)) {
        const rest = error.path.slice(path.length);
        const index = /^\[(\d+)\]$/.exec(rest);
        out.push(
          index
            ? `${item} ${Number(index[1]) + 1}: ${error.message}`
            : `${rest.replace(/^\./, '')}: ${error.message}`,
        );
      }
    }
    return out;
  }

  /** Messages for exactly `path`, not the fields inside it. */
  exact(path: string): string[] {
    return this.all.filter((error) => error.path === path).map((error) => error.message);
  }

  /** Whether any error is at `path` or inside it. */
  has(path: string): boolean {
    return this.at(path).length > 0;
  }
}

const NAMES: Record<string, string> = {
  rules: 'Rule',
  clauses: 'Condition',
  values: 'Value',
  targets: 'Targets',
  keys: 'Key',
  variations: 'Variation',
  prerequisites: 'Prerequisite',
};

/**
 * A path a person can read: `rules[0].clauses[1].values[0]` → "Rule 1 › Condition 2 › Value 1".
 *
 * @example
 * describePath('fallthrough.rollout.variations'); // "fallthrough › rollout › variations"
 */
export function describePath(path: string): string {
  const parts: string[] = [];
  for (const segment of path.split('.')) {
    const match = /^([^[]+)((?:\[\d+\])*)$/.exec(segment);
    if (!match) {
      parts.push(segment);
      continue;
    }
    const name = match[1] ?? segment;
    const indexes = [...(match[2] ?? '').matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]) + 1);
    if (indexes.length === 0) parts.push(name);
    else parts.push(`${NAMES[name] ?? name} ${indexes.join('.')}`);
  }
  return parts.join(' › ');
}
