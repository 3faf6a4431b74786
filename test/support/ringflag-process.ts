/**
 * Runs the real Ringflag server as a child process (so a test can kill it and start it again on the
 * same port and database) and drives its admin API. Used by the end-to-end tests and the benchmarks.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../server/src/main.ts', import.meta.url));
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'correct-horse-battery-staple';

/**
 * Settings for a benchmark's server: its load comes from one loopback address, where real traffic
 * comes from many, so the per-address limits on streams and requests are lifted.
 */
export const BENCH_SERVER_ENV: Record<string, string> = {
  RINGFLAG_LOG_LEVEL: 'warn',
  RINGFLAG_MAX_STREAMS_PER_ADDRESS: '1000000',
  RINGFLAG_MAX_STREAMS_PER_KEY: '1000000',
  RINGFLAG_RATE_LIMIT_PER_ADDRESS: '1000000',
  RINGFLAG_RATE_LIMIT_PER_KEY: '1000000',
};

export interface RingflagProcess {
  readonly base: string;
  readonly port: number;
  /** The SQLite file, or the `db` value (a PostgreSQL URL) when started with one. */
  readonly dbPath: string;
  readonly pid: number;
  /** Output of the server so far, for failure messages. */
  output(): string;
  /** SIGKILL: the process dies at once, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /**
   * Starts the server again on the same port, database and environment (stopping it first if it still
   * runs) and returns the new process's handle.
   */
  restart(): Promise<RingflagProcess>;
}

/** Options of {@link startRingflagProcess}. */
export interface RingflagProcessOptions {
  port?: number;
  /** A SQLite file; a new temporary one unless given (ignored when `db` is set). */
  dbPath?: string;
  /** `RINGFLAG_DB` as the server takes it, e.g. a `postgres://` URL; takes precedence over `dbPath`. */
  db?: string;
  env?: Record<string, string>;
  /** Runs the server under `ulimit -n fdLimit` (a low open-file limit). */
  fdLimit?: number;
}

/** A free loopback port (listen on 0, close, reuse). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
    server.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Node process of this checkout's TypeScript, started and answering on 127.0.0.1. */
export interface StartedProcess {
  readonly child: ChildProcess;
  readonly base: string;
  /** Output so far, for failure messages. */
  output(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<void>;
}

/**
 * Forks `entry` (TypeScript, through tsx) with `env`, and resolves once `http://127.0.0.1:<port><readyPath>`
 * answers 2xx — within a minute: on a loaded machine a process can take a quarter of it to start. It
 * throws with the process's output if it exits first.
 */
export async function startTsProcess(options: {
  /** What the process is, in error messages ("the server"). */
  name: string;
  entry: string;
  args?: string[];
  /** Node options besides the ones that run TypeScript. */
  nodeArgs?: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  readyPath: string;
  /** Runs the process under `ulimit -n fdLimit` (a low open-file limit). */
  fdLimit?: number;
}): Promise<StartedProcess> {
  let output = '';
  const nodeArgs = ['--conditions=ringflag-source', '--import', 'tsx', ...(options.nodeArgs ?? [])];
  const child: ChildProcess = fork(options.entry, options.args ?? [], {
    // Under a file limit, a shell sets it and then becomes node (the IPC channel survives the exec).
    ...(options.fdLimit === undefined
      ? { execArgv: nodeArgs }
      : {
          execPath: '/bin/sh',
          execArgv: ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, ...nodeArgs],
        }),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: options.env,
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${options.port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited during start:\n${output}`);
    try {
      if ((await fetch(`${base}${options.readyPath}`)).ok) break;
    } catch {}
    if (i > 1200) throw new Error(`${options.name} did not answer ${options.readyPath}:\n${output}`);
    await sleep(50);
  }
  return { child, base, output: () => output, exited };
}

/**
 * Starts the server on 127.0.0.1 with a SQLite file (a new temporary one unless given), or the
 * database `db` names (a PostgreSQL URL).
 */
export async function startRingflagProcess(options: RingflagProcessOptions = {}): Promise<RingflagProcess> {
  const port = options.port ?? (await freePort());
  const dbPath =
    options.db ?? options.dbPath ?? join(mkdtempSync(join(tmpdir(), 'ringflag-e2e-')), 'ringflag.db');
  const { child, base, output, exited } = await startTsProcess({
    name: 'the server',
    entry: MAIN,
    port,
    readyPath: '/healthz',
    fdLimit: options.fdLimit,
    env: {
      ...process.env,
      RINGFLAG_PORT: String(port),
      RINGFLAG_HOST: '127.0.0.1',
      RINGFLAG_DB: dbPath,
      RINGFLAG_ADMIN_EMAIL: ADMIN_EMAIL,
      RINGFLAG_ADMIN_PASSWORD: ADMIN_PASSWORD,
      RINGFLAG_DEMO: 'false',
      RINGFLAG_LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  const handle: RingflagProcess = {
    base,
    port,
    dbPath,
    pid: child.pid as number,
    output,
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    restart: async () => {
      await handle.stop();
      return startRingflagProcess({ ...options, port, dbPath, db: options.db });
    },
  };
  return handle;
}

/** A thin client of the admin API, signed in with a bearer token. */
export class AdminClient {
  private constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  static async login(base: string, email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<AdminClient> {
    const response = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (!response.ok) throw new Error(`login: ${response.status} ${await response.text()}`);
    const { token } = (await response.json()) as { token: string };
    return new AdminClient(base, token);
  }

  /** Sends a request; throws with the problem document unless the status is the expected one. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    expected: number[] = [200, 201],
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { ...headers, authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!expected.includes(response.status)) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Replaces a flag's config in `environment` with `If-Match: *`, whatever version is there: for a
   * test setting up state, where nobody else writes.
   */
  async putConfig<T = unknown>(flag: string, environment: string, config: object): Promise<T> {
    return this.request<T>('PUT', `/api/v1/flags/${flag}/environments/${environment}`, config, [200], {
      'if-match': '*',
    });
  }

  async createSdkKey(environment: string, type: 'server' | 'client'): Promise<string> {
    const { key } = await this.request<{ key: string }>(
      'POST',
      `/api/v1/environments/${environment}/sdk-keys`,
      { type },
    );
    return key;
  }
}
