/**
 * Shared by the browser-surface benchmarks: a Ringflag server process with 20 clientSide flags of the
 * usual shapes (on/off, targeted, rule-matched, percentage rollouts, multivariate strings) in
 * `development`, and a client key for it.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { AdminClient, BENCH_SERVER_ENV, startRingflagProcess } from '../support/ringflag-process.js';

export const BENCH_ENV = 'development';

/** A running server prepared for the browser benchmarks. */
export interface ClientBenchServer {
  base: string;
  pid: number;
  admin: AdminClient;
  clientKey: string;
  /** Turns the `bench` flag on or off: every context's value changes. */
  toggle(enabled: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the server and creates the flags: `bench` plus 19 others. */
export async function startClientBenchServer(): Promise<ClientBenchServer> {
  const server = await startRingflagProcess({ env: BENCH_SERVER_ENV });
  const admin = await AdminClient.login(server.base);
  const configPath = (key: string) => `/api/v1/flags/${key}/environments/${BENCH_ENV}`;
  await admin.request('POST', '/api/v1/flags', { key: 'bench', kind: 'boolean', clientSide: true });
  for (let i = 0; i < 19; i++) {
    const key = `flag-${String(i).padStart(2, '0')}`;
    const shape = i % 4;
    if (shape === 3) {
      await admin.request('POST', '/api/v1/flags', {
        key,
        kind: 'string',
        clientSide: true,
        variations: [
          { id: 'blue', value: 'blue' },
          { id: 'green', value: 'green' },
        ],
      });
    } else {
      await admin.request('POST', '/api/v1/flags', { key, kind: 'boolean', clientSide: true });
    }
    const configs = [
      { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } },
      {
        enabled: true,
        offVariation: 'off',
        targets: [{ variation: 'on', keys: ['user-1', 'user-2', 'user-3'] }],
        rules: [
          {
            id: 'staff',
            clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
            serve: { variation: 'on' },
          },
        ],
        fallthrough: { variation: 'off' },
      },
      {
        enabled: true,
        offVariation: 'off',
        fallthrough: {
          rollout: {
            variations: [
              { variation: 'on', weight: 10_000 },
              { variation: 'off', weight: 90_000 },
            ],
          },
        },
      },
      {
        enabled: true,
        offVariation: 'blue',
        fallthrough: {
          rollout: {
            variations: [
              { variation: 'blue', weight: 50_000 },
              { variation: 'green', weight: 50_000 },
            ],
          },
        },
      },
    ];
    // The replace names the version it read: the flag was created just now, at its defaults.
    const { version } = await admin.request<{ version: number }>('GET', configPath(key));
    await admin.request('PUT', configPath(key), { ...configs[shape], version });
  }
  const clientKey = await admin.createSdkKey(BENCH_ENV, 'client');
  return {
    base: server.base,
    pid: server.pid,
    admin,
    clientKey,
    toggle: async (enabled) => {
      await admin.request('POST', `${configPath('bench')}/toggle`, { enabled });
    },
    stop: async () => {
      await server.stop();
      rmSync(dirname(server.dbPath), { recursive: true, force: true });
    },
  };
}
