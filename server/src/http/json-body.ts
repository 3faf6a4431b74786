/// <reference lib="es2024.string" />
import { formatPath } from '@ringflag/sdk-node/engine';
import type { Context, MiddlewareHandler } from 'hono';
import type { HonoRequest } from 'hono/request';
import type { AppEnv } from '../app-env.js';
import { ValidationError } from '../errors/index.js';

/**
 * How deeply a request's JSON may nest. The deepest thing Ringflag stores (a JSON variation value inside
 * a flag) is a handful of levels; a bound keeps every recursive step after parsing (schemas, canonical
 * JSON for the audit hash, the engine) far from the stack's end.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * A JSON escape of a UTF-16 surrogate (`\ud800`–`\udfff`) or of U+0000. Text decoded from UTF-8 cannot
 * hold a lone surrogate (the decoder puts U+FFFD in its place) and JSON text cannot hold a raw U+0000,
 * so parsed JSON can only hold either through such an escape: text without one needs no string check.
 */
const SURROGATE_ESCAPE = /\\u(?:[dD][89a-fA-F]|0000)/;

/** Methods whose body a route may read. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly segment: string | number | undefined;
}

function pathOf(frame: Frame, prefix: string, last?: string): string {
  const path: (string | number)[] = last === undefined ? [] : [last];
  for (let at: Frame | undefined = frame; at?.segment !== undefined; at = at.parent) path.unshift(at.segment);
  return formatPath(prefix ? [prefix, ...path] : path);
}

/**
 * Checks a parsed JSON value without recursion, so no input, however deep, reaches code that recurses:
 * nesting at most `maxDepth` levels and, when `strings` is set, every string and member name well-formed
 * Unicode (a lone surrogate cannot be stored as sent: SQLite keeps UTF-8). Throws a
 * {@link ValidationError} naming the path of the first problem.
 */
function checkJsonValue(value: unknown, maxDepth: number, prefix: string, strings: boolean): void {
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, segment: undefined }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const current = frame.value;
    if (typeof current === 'string') {
      if (strings && !storable(current)) throw illFormed(pathOf(frame, prefix), current);
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (frame.depth + 1 > maxDepth) {
      throw new ValidationError(`The JSON is nested deeper than ${maxDepth} levels`, [
        { path: pathOf(frame, prefix), message: `nested deeper than ${maxDepth} levels` },
      ]);
    }
    const entries: [string | number, unknown][] = Array.isArray(current)
      ? current.map((item, i) => [i, item])
      : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [segment, child] = entries[i]!;
      if (strings && typeof segment === 'string' && !storable(segment)) {
        throw illFormed(pathOf(frame, prefix, segment), segment);
      }
      stack.push({ value: child, depth: frame.depth + 1, parent: frame, segment });
    }
  }
}

/** Text every database stores as sent: well-formed Unicode (SQLite keeps UTF-8), without U+0000 (PostgreSQL refuses it). */
function storable(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

function illFormed(path: string, text: string): ValidationError {
  if (text.isWellFormed()) {
    return new ValidationError('The request holds a string with U+0000, which cannot be stored', [
      { path, message: 'contains U+0000 (a \\u0000 escape)' },
    ]);
  }
  return new ValidationError('The request holds a string that is not well-formed Unicode', [
    { path, message: 'contains a lone UTF-16 surrogate (an unpaired \\ud800–\\udfff escape)' },
  ]);
}

/**
 * The one way request JSON becomes a value: parses the text, then checks its depth and that every
 * string is well-formed Unicode, without recursion. Throws a {@link ValidationError} (a 400 problem)
 * for malformed JSON, JSON nested deeper than `maxDepth`, or a lone surrogate, with the field path.
 *
 * @example
 * parseJsonText('{"a":[1]}'); // { a: [1] }
 * parseJsonText('[[[[1]]]]', { maxDepth: 2 }); // throws: path '[0][0]', nested deeper than 2 levels
 * parseJsonText('{"email":"x\\ud800"}'); // throws: path 'email', a lone UTF-16 surrogate
 */
export function parseJsonText(text: string, options: { maxDepth?: number; path?: string } = {}): unknown {
  const prefix = options.path ?? '';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('The body is not valid JSON', [{ path: prefix, message: 'malformed JSON' }]);
  }
  checkJsonValue(value, options.maxDepth ?? MAX_JSON_DEPTH, prefix, SURROGATE_ESCAPE.test(text));
  return value;
}

const bodyProblems = new WeakMap<HonoRequest, ValidationError>();

/**
 * Makes {@link parseJsonText} the way every JSON request body becomes a value: `c.req.json()`, which
 * Hono's validators and handlers call, parses with it, and only once. Hono's validator turns any parse
 * failure into a bare "Malformed JSON"; the problem with its field path is kept here for
 * {@link jsonBodyProblem}. Routes that read raw text themselves (bodies browsers send as text/plain)
 * call `parseJsonText`.
 *
 * @example
 * app.use('*', boundedJsonBodies());
 */
export function boundedJsonBodies(): MiddlewareHandler<AppEnv> {
  return async function boundedJson(c, next) {
    const request = c.req;
    let parsed: Promise<unknown> | undefined;
    request.json = <T>() => {
      parsed ??= request.text().then((text) => {
        try {
          return parseJsonText(text);
        } catch (error) {
          if (error instanceof ValidationError) bodyProblems.set(request, error);
          throw error;
        }
      });
      return parsed as Promise<T>;
    };
    await next();
  };
}

/** The problem {@link boundedJsonBodies} found in this request's JSON body, if any. */
export function jsonBodyProblem(c: Context): ValidationError | undefined {
  return bodyProblems.get(c.req);
}

/**
 * Refuses, before any route, a request body whose JSON holds a string that is not well-formed Unicode,
 * so no route can skip the check, whatever it does with the body: nothing downstream — the audit chain,
 * a flag, a context — ever sees a lone surrogate. Cheap: the body is parsed here only when its text
 * holds a surrogate escape; text that is not JSON passes (the route answers that). Register it after the
 * surface's body limit and authentication. `respond` shapes the 400 for a protocol with its own error
 * bodies (OFREP); the default is problem+json.
 *
 * @example
 * app.use('/api/*', limitBodySize(1024 * 1024));
 * app.use('/api/*', rejectIllFormedStrings());
 */
export function rejectIllFormedStrings(
  respond?: (c: Context<AppEnv>, error: ValidationError) => Response,
): MiddlewareHandler<AppEnv> {
  return async function rejectIllFormed(c, next) {
    if (BODY_METHODS.has(c.req.method) && c.req.header('content-length') !== '0') {
      const text = await c.req.text();
      if (SURROGATE_ESCAPE.test(text)) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          value = undefined;
        }
        try {
          if (value !== undefined) checkJsonValue(value, MAX_JSON_DEPTH, '', true);
        } catch (error) {
          if (respond && error instanceof ValidationError) return respond(c, error);
          throw error;
        }
      }
    }
    await next();
  };
}
