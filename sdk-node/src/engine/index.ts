/**
 * The Ringflag evaluation engine: pure TypeScript, no I/O, no clock. The Node SDK, the server (for
 * browser clients, OFREP and the admin "test a context" panel) and any other host share it, so a flag
 * evaluates the same everywhere.
 *
 * @example
 * import { createStore, evaluate } from '@ringflag/sdk-node/engine';
 * const store = createStore(payload);
 * evaluate('new-checkout', { key: 'user-1', groups: ['beta'] }, store, false);
 */
export { bucketOf } from './bucket.js';
export type { CompiledFlag, CompiledSegment } from './compile.js';
export { compileFlag, compileSegment } from './compile.js';
export { evaluate, evaluateAll, evaluateAllValues, evaluateFlag, kindOf } from './evaluate.js';
export { LIMITS, TOTAL_WEIGHT } from './limits.js';
export { murmur3 } from './murmur3.js';
export { prerequisiteCycle } from './prerequisites.js';
export { checkRegex } from './regex.js';
export type { ErrorKind, EvaluationDetail, EvaluationReason, ReasonKind } from './result.js';
export { errorDetail } from './result.js';
export * from './schema.js';
export { compareSemver, parseSemver } from './semver.js';
export type { FlagStore, SdkPatch } from './store.js';
export { applyPatch, changedFlags, createStore, EMPTY_STORE } from './store.js';
export type { References, Validated, ValidationError } from './validate.js';
export { formatPath, issuesToErrors, validateFlagConfig, validateSegment } from './validate.js';
