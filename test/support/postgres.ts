/**
 * A throwaway PostgreSQL server for tests: a fresh cluster in a temporary directory, listening on
 * 127.0.0.1 (and a Unix socket in that directory), which a test can stop, start again on the same
 * port and data, and finally destroy. Uses the system's PostgreSQL binaries (Debian's
 * /usr/lib/postgresql/15/bin, or the directory in RINGFLAG_PG_BIN); `.ci/system-packages.sh`
 * installs them. PostgreSQL refuses to run as root, so under root the cluster belongs to the
 * `postgres` user and its commands run through `su`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ringflag-process.js';

const PG_BIN = process.env.RINGFLAG_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const AS_ROOT = process.getuid?.() === 0;
/** How long one initdb / pg_ctl call may take. */
const COMMAND_TIMEOUT_MS = 60_000;

export interface PostgresServer {
  /** The `postgres` database as the `postgres` superuser (no password: trust authentication). */
  readonly url: string;
  readonly port: number;
  /** The temporary directory: data/ (the cluster), log (the server log) and the Unix socket. */
  readonly dir: string;
  /** The URL of another database on this server. */
  urlFor(database: string): string;
  /** Creates a database (empty, or a copy of `template`) and returns its URL. */
  createDatabase(name?: string, template?: string): Promise<string>;
  /** Drops a database, closing its connections first; no error if it does not exist. */
  dropDatabase(name: string): Promise<void>;
  /** `pg_ctl stop`: 'fast' closes connections cleanly, 'immediate' is like a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the stopped server again, on the same port and data directory. */
  start(): Promise<void>;
  /** Stops ('fast') and starts. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

/** True when the PostgreSQL binaries are installed. */
export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'initdb'));
}

/** Quotes one word for /bin/sh. */
const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** A safe, unquoted SQL identifier (also safe in a URL path). */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Servers started and not destroyed: stopped at once if the test process exits without doing so. */
const live = new Set<string>();
process.once('exit', () => {
  for (const data of live) {
    try {
      const [file, argv, options] = command(data, ['pg_ctl', '-D', data, '-m', 'immediate', 'stop']);
      execFileSync(file, argv, { ...options, stdio: 'ignore' });
    } catch {}
  }
});

/** The argv running a PostgreSQL binary (as `postgres` under root). */
function command(cwd: string, [binary, ...args]: string[]): [string, string[], { cwd: string }] {
  const line = [join(PG_BIN, binary!), ...args].map(shellQuote).join(' ');
  return AS_ROOT
    ? ['su', ['postgres', '-s', '/bin/sh', '-c', line], { cwd }]
    : ['/bin/sh', ['-c', line], { cwd }];
}

/** Starts a new cluster on `options.port` (a free port unless given). */
export async function startPostgres(options: { port?: number } = {}): Promise<PostgresServer> {
  if (!postgresAvailable()) throw new Error(`PostgreSQL is not installed: no ${join(PG_BIN, 'initdb')}`);
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'ringflag-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  if (AS_ROOT) {
    chmodSync(dir, 0o755);
    execFileSync('chown', ['-R', 'postgres', dir]);
  }

  /** Runs a binary; a failure carries its output and the end of the server log. */
  const run = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [file, argv, spawnOptions] = command(dir, args);
      execFile(file, argv, { ...spawnOptions, timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
        if (!error) return resolve();
        const logTail = existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : '(no log)';
        reject(
          new Error(
            `${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}\n--- log ---\n${logTail}`,
          ),
        );
      });
    });

  /** Runs one statement on the `postgres` database. */
  const sql = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };

  let running = false;
  const start = async () => {
    const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    live.add(data);
    await run(['pg_ctl', '-D', data, '-o', settings, '-w', '-t', '30', '-l', log, 'start']);
    running = true;
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await run(['pg_ctl', '-D', data, '-m', mode, '-w', 'stop']);
    running = false;
  };

  // --locale=C: the same collation whatever the environment's locale is.
  await run(['initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  try {
    await start();
  } catch (error) {
    live.delete(data);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const urlFor = (database: string) =>
    `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const checkName = (name: string) => {
    if (!IDENTIFIER.test(name)) throw new Error(`not a safe database name: ${JSON.stringify(name)}`);
    return name;
  };

  return {
    url,
    port,
    dir,
    urlFor,
    async createDatabase(name = `rf_${randomBytes(6).toString('hex')}`, template) {
      const templateClause = template === undefined ? '' : ` TEMPLATE ${checkName(template)}`;
      await sql(`CREATE DATABASE ${checkName(name)}${templateClause}`);
      return urlFor(name);
    },
    async dropDatabase(name) {
      await sql(`DROP DATABASE IF EXISTS ${checkName(name)} WITH (FORCE)`);
    },
    stop,
    start,
    async restart() {
      await stop('fast');
      await start();
    },
    async destroy() {
      if (running) await stop('immediate');
      live.delete(data);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
