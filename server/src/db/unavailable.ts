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
 * Whether an error means the database is unreachable (rather than a bug or a bad request): the
 * request gets a 503 and can be retried; nothing was committed. drizzle wraps driver errors, so the
 * cause chain is searched.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const { code } = current as NodeJS.ErrnoException;
    if (
      typeof code === 'string' &&
      (NETWORK_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_STATES.has(code))
    ) {
      return true;
    }
    if (UNAVAILABLE_MESSAGES.some((message) => current instanceof Error && current.message.includes(message)))
      return true;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The message of the innermost cause: drizzle wraps a driver error as "Failed query: …", whose cause
 * says what went wrong (password authentication failed, connection refused …).
 */
export function rootMessage(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause instanceof Error; depth++) {
    current = current.cause;
  }
  if (!(current instanceof Error)) return String(current);
  return current.message || String((current as NodeJS.ErrnoException).code ?? current.name);
}
