/**
 * What the public-key hardening tests share: HTTP from a chosen loopback address (Linux routes all of
 * 127.0.0.0/8 to lo, so `localAddress: '127.0.0.2'` is another client address to the server), and a
 * read-only look into the server's SQLite file.
 */
import http from 'node:http';
import { createRequire } from 'node:module';

export interface AddressResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const agents = new Map<string, http.Agent>();

/** Sends one request from `localAddress` (a keep-alive agent per address). */
export function requestFrom(
  localAddress: string,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<AddressResponse> {
  let agent = agents.get(localAddress);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, maxSockets: 16, localAddress });
    agents.set(localAddress, agent);
  }
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        agent,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Closes the sockets of every address agent. */
export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/** Runs `tasks` with at most `parallel` at a time; resolves with their results in order. */
export async function inBatches<T>(
  count: number,
  parallel: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return results;
}

interface Statement {
  get(...params: unknown[]): Record<string, number | null>;
}
interface ReadOnlyDatabase {
  prepare(sql: string): Statement;
  close(): void;
}

/** One number from the server's database (opened read-only for the query; WAL lets the server go on). */
export function queryNumber(dbPath: string, sql: string, ...params: unknown[]): number {
  // better-sqlite3 is the server's dependency; the test package reaches it through the server.
  const require = createRequire(new URL('../../server/package.json', import.meta.url));
  const Database = require('better-sqlite3') as new (
    path: string,
    options: { readonly: boolean },
  ) => ReadOnlyDatabase;
  const db = new Database(dbPath, { readonly: true });
  try {
    const row = db.prepare(sql).get(...params);
    return Number(Object.values(row)[0] ?? 0);
  } finally {
    db.close();
  }
}

/** RSS of a process in bytes, from /proc (Linux). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}
