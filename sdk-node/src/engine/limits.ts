/**
 * Size limits of flag configs, segments and contexts. They keep a config small enough to stream to
 * every SDK and to evaluate in constant-ish time; large audiences belong in segments.
 * Documented in docs/flag-model.md; the server returns an error naming the limit when one is exceeded.
 */
export const LIMITS = {
  /** Length of a flag, segment, rule or variation key. */
  keyLength: 128,
  /** Variations per flag. */
  variations: 100,
  /** Serialised size of one variation's value (JSON flags), in characters. */
  variationValueChars: 32_768,
  /** Individual target keys per flag, over all variations. */
  targetKeys: 10_000,
  /** Rules per flag and per segment. */
  rules: 200,
  /** Clauses per rule. */
  clauses: 50,
  /** Values per clause. */
  clauseValues: 1_000,
  /** Length of a string value in a clause, or a context key. */
  stringLength: 1_024,
  /** Length of a `matches` regular expression. */
  regexLength: 256,
  /**
   * Compiled size of a `matches` regular expression, in RE2 instructions: what a match costs per
   * character of input. `^[a-z0-9.]+@example\.com$` is 18; every counted repetition copies its body.
   */
  regexProgramSize: 400,
  /** Compiled size of all the `matches` regular expressions of one flag config, or of one segment. */
  regexProgramSizeTotal: 2_000,
  /**
   * Characters a `matches` clause tests (an array attribute: its strings together); a longer value
   * counts as absent, so the clause does not match it, negated or not.
   */
  regexInputLength: 4_096,
  /** Prerequisites per flag. */
  prerequisites: 20,
  /** Included plus excluded keys per segment. */
  segmentKeys: 50_000,
  /** Length of a rule's or variation's display name, and of a description. */
  nameLength: 256,
  descriptionLength: 4_096,
  /** Attributes in one context, and elements in one array attribute. */
  contextAttributes: 100,
  contextArrayLength: 100,
} as const;

/** Every weight of a rollout is in thousandths of a percent; they sum to this. */
export const TOTAL_WEIGHT = 100_000;
