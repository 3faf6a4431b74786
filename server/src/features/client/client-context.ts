import { createHash } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { type Context, contextSchema, issuesToErrors } from '@ringflag/sdk-node/engine';
import { LRUCache } from 'lru-cache';
import { ValidationError } from '../../errors/index.js';
import { parseJsonText } from '../../http/json-body.js';
import { canonicalJson } from '../audit/canonical-json.js';

/**
 * Limits of what a browser may send. A context is checked with the engine's `contextSchema` (at most
 * 100 attributes, strings up to 1,024 characters, arrays up to 100 elements); on top of that the
 * whole request is small, since a context is an identity and a few attributes, not a document.
 */
export const CLIENT_LIMITS = {
  /** Largest body of `POST /client/v1/evaluate` and `POST /ofrep/v1/…`, in bytes. */
  evaluateBodyBytes: 32 * 1024,
  /** Largest `context` query parameter of `GET /client/v1/stream` (base64url), in characters. */
  streamContextChars: 16 * 1024,
  /** Largest body of `POST /client/v1/events`, in bytes (the browser SDK sends at most 64 KiB). */
  eventsBodyBytes: 256 * 1024,
} as const;

/**
 * A stable hash of a context: the same attributes in any order hash the same. Keys the evaluation
 * cache, groups streams that share a context, and is part of the `ETag`.
 *
 * @example
 * contextHash({ key: 'user-1', plan: 'pro' }) === contextHash({ plan: 'pro', key: 'user-1' }); // true
 */
export function contextHash(context: Context): string {
  return createHash('sha256').update(canonicalJson(context)).digest('base64url').slice(0, 22);
}

/**
 * Checks a context against the engine's schema; throws a {@link ValidationError} naming the fields
 * (`context.key`, `context.groups`) otherwise.
 */
export function parseContext(value: unknown, path = 'context'): Context {
  const result = contextSchema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(
      'The context does not pass validation',
      issuesToErrors(result.error.issues, [path]),
    );
  }
  return result.data as Context;
}

/**
 * Reads the `context` query parameter of a stream: base64url of the context's JSON. A missing
 * parameter is the empty (anonymous) context.
 *
 * @example
 * decodeStreamContext(Buffer.from('{"key":"user-1"}').toString('base64url')); // { key: 'user-1' }
 */
export function decodeStreamContext(encoded: string | undefined): Context {
  if (encoded === undefined || encoded === '') return {};
  if (encoded.length > CLIENT_LIMITS.streamContextChars) {
    throw new ValidationError(`The context is over ${CLIENT_LIMITS.streamContextChars} characters`, [
      { path: 'query.context', message: 'too long' },
    ]);
  }
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(encoded)) {
    throw new ValidationError('The context must be base64url of a JSON object', [
      { path: 'query.context', message: 'not base64url' },
    ]);
  }
  const text = Buffer.from(encoded, 'base64url').toString('utf8');
  return parseContext(parseJsonText(text, { path: 'query.context' }), 'query.context');
}

/** The body of `POST /client/v1/evaluate`: who is asking (the empty context when left out). */
export const clientEvaluateSchema = z.object({ context: contextSchema.default({}) }).strict();

/** A checked evaluate body: its context and the context's hash. */
export interface ParsedContext {
  readonly context: Context;
  readonly hash: string;
}

/** Memory {@link EvaluateBodies} may hold by default: 16 MiB (estimated, see there). */
export const EVALUATE_BODIES_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Parses and checks `POST /client/v1/evaluate` bodies, remembering valid ones by their exact text: a
 * browser polls with the same body again and again, and parsing, validating and hashing it cost more
 * than answering from the evaluation cache. Throws {@link ValidationError} (never cached). Bounded by
 * entries (10,000) and by bytes (`maxBytes`, default 16 MiB), an entry estimated at four bytes per
 * character of its text (the text as the key, up to 2 bytes a character, and the parsed context), so
 * a flood of distinct large contexts only evicts older ones.
 *
 * @example
 * const bodies = new EvaluateBodies();
 * const { context, hash } = bodies.parse('{"context":{"key":"user-1"}}');
 */
export class EvaluateBodies {
  private readonly parsed: LRUCache<string, ParsedContext>;

  constructor(maxBytes: number = EVALUATE_BODIES_MAX_BYTES) {
    this.parsed = new LRUCache({
      max: 10_000,
      maxSize: maxBytes,
      sizeCalculation: (_entry, text) => 64 + text.length * 4,
    });
  }

  parse(text: string): ParsedContext {
    const cached = this.parsed.get(text);
    if (cached) return cached;
    const body = parseJsonText(text);
    const result = clientEvaluateSchema.safeParse(body);
    if (!result.success) {
      throw new ValidationError('The request does not pass validation', issuesToErrors(result.error.issues));
    }
    const context = result.data.context as Context;
    const entry = { context, hash: contextHash(context) };
    // Larger than the whole cache may hold: used once, not kept.
    if (64 + text.length * 4 <= this.parsed.maxSize) this.parsed.set(text, entry);
    return entry;
  }

  /** Estimated bytes held now. */
  get bytes(): number {
    return this.parsed.calculatedSize;
  }
}
