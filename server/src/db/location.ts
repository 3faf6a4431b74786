/** Connections of a replica's PostgreSQL pool by default: a few per core of a small replica. */
export const DEFAULT_POOL_SIZE = 10;

/** Where the data lives: a SQLite file, or a PostgreSQL database and the size of its pool. */
export type DatabaseLocation =
  | { dialect: 'sqlite'; file: string }
  | { dialect: 'postgres'; url: string; poolSize: number };

/** Why a RINGFLAG_DB value is not a location; the message never repeats the value (it may hold a password). */
export class DatabaseLocationError extends Error {
  override name = 'DatabaseLocationError';
}

/**
 * Reads a database setting: a `postgres://` or `postgresql://` URL (TLS through its `sslmode`), or else
 * a file path for SQLite. Any other `scheme://` value is refused rather than taken for a path, which
 * would create a SQLite file in a folder named after the scheme.
 *
 * @example
 * parseDatabaseLocation('./data/ringflag.db'); // { dialect: 'sqlite', file: './data/ringflag.db' }
 * parseDatabaseLocation('postgres://ringflag@db/ringflag', 20); // { dialect: 'postgres', …, poolSize: 20 }
 */
export function parseDatabaseLocation(value: string, poolSize = DEFAULT_POOL_SIZE): DatabaseLocation {
  if (value === '') throw new DatabaseLocationError('must not be empty');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { dialect: 'sqlite', file: value };
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new DatabaseLocationError(
      `looks like a URL (${scheme}://) but is neither a file path nor a PostgreSQL URL`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DatabaseLocationError('is not a well-formed PostgreSQL URL');
  }
  if (url.hostname === '' && !url.searchParams.has('host')) {
    throw new DatabaseLocationError('is a PostgreSQL URL without a host');
  }
  return { dialect: 'postgres', url: value, poolSize };
}

/** A location for logs and messages: the file, or the URL without its password. */
export function describeLocation(location: DatabaseLocation): string {
  if (location.dialect === 'sqlite') return location.file;
  const url = new URL(location.url);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
