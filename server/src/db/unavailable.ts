import type { Database } from './client.js';
import { type DatabaseLocation, describeLocation } from './location.js';

/** Node socket errors that mean the database server is not there (refused, reset, timed out). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of a server that is going away or not accepting work: connection exceptions
 * (class 08), shutdown and crash recovery (57P01–57P03), and too many connections.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages node-postgres uses for a lost or unobtainable connection (it has no code for them). */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
];

/**
 * An error and the errors it was caused by, outermost first (at most five): drizzle wraps a driver's
 * error as the `cause` of its own "Failed query" error, so what went wrong is further down.
 */
export function errorChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let current = error; current instanceof Error && chain.length < 5; current = current.cause) {
    chain.push(current);
  }
  return chain;
}

/**
 * Whether an error means the database is unreachable (rather than a bug or a bad request): the
 * request gets a 503 and can be retried; nothing was committed.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return errorChain(error).some((current) => {
    const { code } = current as NodeJS.ErrnoException;
    if (
      typeof code === 'string' &&
      (NETWORK_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_STATES.has(code))
    ) {
      return true;
    }
    return UNAVAILABLE_MESSAGES.some((message) => current.message.includes(message));
  });
}

/** The message of the innermost cause (password authentication failed, connection refused …). */
export function rootMessage(error: unknown): string {
  const innermost = errorChain(error).at(-1);
  if (!innermost) return String(error);
  return innermost.message || String((innermost as NodeJS.ErrnoException).code ?? innermost.name);
}

/**
 * Pings `database`; when it does not answer, throws an error naming `location` (without its password)
 * and the innermost cause.
 */
export async function reachDatabase(
  database: Pick<Database, 'ping'>,
  location: DatabaseLocation,
): Promise<void> {
  try {
    await database.ping();
  } catch (error) {
    throw new Error(`cannot reach the database ${describeLocation(location)}: ${rootMessage(error)}`);
  }
}
