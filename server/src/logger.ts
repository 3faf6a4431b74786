/** Structured fields of a log line. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** A minimal leveled logger; the server logs one JSON line per entry. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Log levels from quietest to most verbose. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info';

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3 };

/**
 * A logger writing JSON lines to stderr (or `write`), dropping entries below `level`.
 *
 * @example
 * const logger = createLogger('info');
 * logger.info('listening', { url: 'http://127.0.0.1:4280' });
 */
export function createLogger(
  level: LogLevel = 'info',
  write = (line: string) => process.stderr.write(line),
): Logger {
  const log = (at: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields) => {
    if (RANK[at] > RANK[level]) return;
    write(`${JSON.stringify({ level: at, time: new Date().toISOString(), message, ...fields })}\n`);
  };
  return {
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}
