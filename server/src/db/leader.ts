import pg from 'pg';
import type { Logger } from '../logger.js';
import type { Database } from './client.js';

/** The advisory lock the leader holds (any fixed 64-bit number unique to Ringflag). */
const LEADER_LOCK = 7_305_118_450_100_003;

/**
 * Which replica runs the periodic jobs (the change scheduler, the release ticker with its guard
 * checks, audit checkpoints, retention): exactly one at a time.
 */
export interface Leadership {
  isLeader(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link electLeader}. */
export interface LeadershipOptions {
  logger: Logger;
  /** How often a follower tries to take the lead, and the leader checks it still holds it (default 1,000 ms). */
  retryMs?: number;
  /** Called when this replica becomes or stops being the leader. */
  onChange?: (leader: boolean) => void;
}

/**
 * Elects a leader among the replicas of one database. On SQLite there is one process: it leads. On
 * PostgreSQL the leader holds a session advisory lock on a connection of its own; when that process
 * dies or loses its connection, the database releases the lock and a follower takes it at its next
 * try, within `retryMs` plus the time the database takes to notice the lost connection.
 *
 * @example
 * const leadership = electLeader(database, { logger });
 * await leadership.start();
 * if (leadership.isLeader()) await scheduler.tick();
 */
export function electLeader(database: Database, options: LeadershipOptions): Leadership {
  if (database.dialect !== 'postgres' || !database.pgConfig) {
    return { isLeader: () => true, start: async () => {}, stop: async () => {} };
  }
  const config = database.pgConfig;
  const retryMs = options.retryMs ?? 1_000;
  let client: pg.Client | undefined;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const setLeader = (value: boolean) => {
    if (leader === value) return;
    leader = value;
    options.logger.info(value ? 'this replica leads the periodic jobs' : 'this replica no longer leads', {});
    options.onChange?.(value);
  };

  const drop = () => {
    const old = client;
    client = undefined;
    setLeader(false);
    old?.end().catch(() => {});
  };

  const attempt = async () => {
    if (stopped) return;
    try {
      if (!client) {
        const fresh = new pg.Client({ ...config, application_name: 'ringflag-leader' });
        fresh.on('error', () => {
          if (client === fresh) drop();
        });
        client = fresh;
        await fresh.connect();
        // If this replica's machine vanishes, the database must notice and free the lock within
        // seconds (TCP keepalive probes), not after the operating system's default of hours.
        await fresh.query(
          'set tcp_keepalives_idle = 5; set tcp_keepalives_interval = 2; set tcp_keepalives_count = 3',
        );
      }
      if (leader) {
        // Still connected means still holding the lock; a query that fails means it is lost.
        await client.query('select 1');
      } else {
        const result = await client.query<{ locked: boolean }>(
          'select pg_try_advisory_lock($1::bigint) as locked',
          [LEADER_LOCK],
        );
        if (result.rows[0]?.locked) setLeader(true);
      }
    } catch (error) {
      if (leader) options.logger.warn('lost the leader lock connection', { error: String(error) });
      drop();
    }
  };

  const loop = () => {
    if (stopped) return;
    running = attempt().finally(() => {
      if (!stopped) timer = setTimeout(loop, retryMs).unref();
    });
  };

  return {
    isLeader: () => leader,
    async start() {
      loop();
      await running;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      const old = client;
      client = undefined;
      setLeader(false);
      await old?.end().catch(() => {});
    },
  };
}
