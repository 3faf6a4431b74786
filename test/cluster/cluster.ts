/**
 * Helpers of the cluster end-to-end test: HTTP calls that never throw (a test records what a replica
 * answered, outages included), HAProxy started with the example config of docs/deploy, the leader as
 * /metrics reports it, the shared audit signing key, and a server run that is expected to fail at start.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ringflag-process.js';

/** The HAProxy binary (Debian's path unless RINGFLAG_HAPROXY names another). */
export const HAPROXY = process.env.RINGFLAG_HAPROXY ?? '/usr/sbin/haproxy';
/** The example configuration the deployment docs ship; the test runs this very file. */
export const HAPROXY_CFG = fileURLToPath(new URL('../../docs/deploy/haproxy.cfg', import.meta.url));
const MAIN = fileURLToPath(new URL('../../server/src/main.ts', import.meta.url));

/** True when HAProxy is installed. */
export function haproxyAvailable(): boolean {
  return existsSync(HAPROXY);
}

/** What an HTTP call got: the status (0 when no answer came), the body, and how long it took. */
export interface Reply {
  status: number;
  text: string;
  contentType: string;
  headers: Headers;
  ms: number;
  /** Why there was no answer (network error, timeout), when status is 0. */
  error?: string;
}

/** Options of {@link call}. */
export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Gives up after this long (default 10 s): status 0 with `error`. */
  timeoutMs?: number;
}

/** One HTTP request; never throws. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const started = performance.now();
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      contentType: response.headers.get('content-type') ?? '',
      headers: response.headers,
      ms: performance.now() - started,
    };
  } catch (error) {
    return {
      status: 0,
      text: '',
      contentType: '',
      headers: new Headers(),
      ms: performance.now() - started,
      error: String((error as Error & { cause?: unknown }).cause ?? error),
    };
  }
}

/** The admin API of one address (a replica or the load balancer), signed in with a bearer token. */
export class Api {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  call(method: string, path: string, body?: unknown, options: Omit<CallOptions, 'token' | 'body'> = {}) {
    return call(this.base, method, path, { ...options, token: this.token, body });
  }

  /** A request that must succeed (2xx); returns its JSON body. */
  async ok<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const reply = await this.call(method, path, body, { headers });
    if (reply.status < 200 || reply.status > 299) {
      throw new Error(
        `${method} ${this.base}${path}: ${reply.status} ${reply.error ?? reply.text.slice(0, 500)}`,
      );
    }
    return (reply.text ? JSON.parse(reply.text) : undefined) as T;
  }
}

/** Signs in as the admin and returns the session token. */
export async function login(base: string, email: string, password: string): Promise<string> {
  const reply = await call(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (reply.status !== 200) throw new Error(`login at ${base}: ${reply.status} ${reply.error ?? reply.text}`);
  return (JSON.parse(reply.text) as { token: string }).token;
}

/** The revision an SDK key's environment is at, from the ETag of `/sdk/v1/flags`. */
export async function revisionAt(base: string, sdkKey: string): Promise<number> {
  const reply = await call(base, 'GET', '/sdk/v1/flags', { headers: { authorization: sdkKey } });
  const etag = reply.headers.get('etag') ?? '';
  const revision = Number(/\d+/.exec(etag)?.[0]);
  if (reply.status !== 200 || !Number.isInteger(revision)) {
    throw new Error(
      `GET ${base}/sdk/v1/flags: ${reply.status} etag=${etag} ${reply.error ?? reply.text.slice(0, 200)}`,
    );
  }
  return revision;
}

/** Whether `/metrics` of a replica says it leads the periodic jobs (undefined: no answer). */
export async function isLeader(base: string): Promise<boolean | undefined> {
  const reply = await call(base, 'GET', '/metrics', { timeoutMs: 3_000 });
  if (reply.status !== 200) return undefined;
  const match = /^ringflag_leader (\d+)$/m.exec(reply.text);
  return match ? match[1] === '1' : undefined;
}

/** Writes a new Ed25519 private key (PKCS#8 PEM, mode 0600) into `dir`: the key every replica signs with. */
export function writeAuditKey(dir: string): string {
  const file = join(dir, 'audit-signing.pem');
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(file, pem, { mode: 0o600 });
  return file;
}

/** HAProxy running the docs' configuration in front of the replicas. */
export interface Haproxy {
  readonly base: string;
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts HAProxy in the foreground (`-db`) with docs/deploy/haproxy.cfg (or another configuration that
 * reads the same variables), its listen address and the replicas' addresses given through the
 * environment variables the file names. Resolves once it answers `/healthz` through a replica.
 */
export async function startHaproxy(replicaPorts: readonly number[], cfg = HAPROXY_CFG): Promise<Haproxy> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RINGFLAG_LB_BIND: `127.0.0.1:${port}`,
    ...Object.fromEntries(replicaPorts.map((p, i) => [`RINGFLAG_REPLICA_${i + 1}`, `127.0.0.1:${p}`])),
  };
  // The configuration must be valid as it is: `-c` checks it first, with a readable error if not.
  await new Promise<void>((resolve, reject) => {
    execFile(HAPROXY, ['-c', '-q', '-f', cfg], { env, timeout: 10_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`haproxy -c ${cfg} failed: ${stdout}${stderr}`)) : resolve(),
    );
  });
  let output = '';
  const child: ChildProcess = spawn(HAPROXY, ['-f', cfg, '-db'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited at start:\n${output}`);
    const reply = await call(base, 'GET', '/healthz', { timeoutMs: 1_000 });
    if (reply.status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `haproxy did not answer /healthz: ${reply.status} ${reply.error ?? reply.text}\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    base,
    port,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** How a server run that should not start ended. */
export interface FailedStart {
  /** The exit code (null when it had to be killed). */
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** True when it was still running after the time allowed and was killed. */
  timedOut: boolean;
}

/**
 * Runs the server (`server/src/main.ts`, as `npm run serve` does) with `env` on top of a minimal
 * environment and waits for it to exit; kills it after `timeoutMs`.
 */
export async function runServerExpectingExit(
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<FailedStart> {
  const started = performance.now();
  const base: NodeJS.ProcessEnv = {};
  // Everything but the RINGFLAG_ settings of the test run itself.
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('RINGFLAG_')) base[name] = value;
  const child = spawn(process.execPath, ['--conditions=ringflag-source', '--import', 'tsx', MAIN], {
    env: {
      ...base,
      RINGFLAG_HOST: '127.0.0.1',
      RINGFLAG_PORT: String(await freePort()),
      RINGFLAG_DEMO: 'false',
      RINGFLAG_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) =>
    child.once('close', (exitCode) => resolve(exitCode)),
  );
  clearTimeout(timer);
  return { code, stdout, stderr, ms: performance.now() - started, timedOut };
}
