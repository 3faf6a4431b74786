import { type Context, contextSchema, formatPath } from '@ringflag/sdk-node/engine';
import { ValidationError } from '../../errors/index.js';
import { parseJsonText } from '../../http/json-body.js';
import type { OfrepErrorCode } from './ofrep-result.js';

/** A parsed OFREP request body, or why it could not be read. */
export type OfrepRequest =
  | { ok: true; context: Context }
  | {
      ok: false;
      errorCode: Extract<OfrepErrorCode, 'PARSE_ERROR' | 'INVALID_CONTEXT'>;
      errorDetails: string;
    };

/**
 * Reads an OFREP request body `{ context: { targetingKey?, ...attributes } }`. OpenFeature's
 * `targetingKey` becomes our `key`; the rest is checked with the engine's context schema. An empty body
 * or a missing context is the empty context.
 *
 * @example
 * parseOfrepRequest('{"context":{"targetingKey":"user-1","plan":"pro"}}');
 * // { ok: true, context: { key: 'user-1', plan: 'pro' } }
 */
export function parseOfrepRequest(text: string): OfrepRequest {
  if (text.trim() === '') return { ok: true, context: {} };
  let body: unknown;
  try {
    body = parseJsonText(text);
  } catch (error) {
    const field = error instanceof ValidationError ? error.errors[0] : undefined;
    if (field === undefined || field.message === 'malformed JSON') {
      return { ok: false, errorCode: 'PARSE_ERROR', errorDetails: 'The request body is not JSON' };
    }
    return { ok: false, errorCode: 'INVALID_CONTEXT', errorDetails: `${field.path}: ${field.message}` };
  }
  if (!isObject(body)) {
    return { ok: false, errorCode: 'PARSE_ERROR', errorDetails: 'The request body must be a JSON object' };
  }
  const raw = body.context;
  if (raw === undefined || raw === null) return { ok: true, context: {} };
  if (!isObject(raw)) {
    return { ok: false, errorCode: 'INVALID_CONTEXT', errorDetails: 'context must be an object' };
  }
  const { targetingKey, ...attributes } = raw;
  if (targetingKey !== undefined) {
    if (typeof targetingKey !== 'string') {
      return { ok: false, errorCode: 'INVALID_CONTEXT', errorDetails: 'targetingKey must be a string' };
    }
    attributes.key = targetingKey;
  }
  const result = contextSchema.safeParse(attributes);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? formatPath(['context', ...issue.path]) : 'context';
    return {
      ok: false,
      errorCode: 'INVALID_CONTEXT',
      errorDetails: `${where}: ${issue?.message ?? 'invalid'}`,
    };
  }
  return { ok: true, context: result.data as Context };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
