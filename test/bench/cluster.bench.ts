/**
 * Many replicas on PostgreSQL, in one run on one machine:
 *
 * 1. Audited writes per second through the admin API (flag toggles, each a transaction with its audit
 *    event, revision bump, change-log row and publish) on SQLite (one process), PostgreSQL (one
 *    replica), PostgreSQL (three replicas, requests spread round-robin over them, no load balancer),
 *    and PostgreSQL with `fsync=on` (one replica). Afterwards the audit chain must verify and the
 *    revisions must be gap-free: one change-log row and one audit event per acknowledged write.
 * 2. Cross-replica propagation: three replicas on PostgreSQL, N SDK streams on each of B and C, toggles
 *    written on A; the time from A's response to each stream's patch. Against a single SQLite node
 *    with the same streams (2 × N, from the same two client processes) in the same run.
 * 3. Where a write's time goes on PostgreSQL: short runs (one replica and one connection; one replica;
 *    three replicas) with every statement logged by the server (`log_min_duration_statement=0`):
 *    statements per write, time waiting for the audit lock and time holding it.
 *
 * Every party is its own process: the servers, PostgreSQL, the load generator (http-load.ts, since
 * wrk is not always installed) and the raw SSE clients (sse-clients.ts). Loopback only.
 *
 *   pnpm bench:cluster   (BENCH_WRITE_SECONDS=10 BENCH_WARMUP_SECONDS=5 BENCH_CONNECTIONS=8
 *                         BENCH_CLUSTER_STREAMS=1000 BENCH_ROUNDS=10 BENCH_PROFILE_SECONDS=3
 *                         BENCH_PARTS=writes,propagation,profile)
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { writeAuditKey } from '../cluster/cluster.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import {
  AdminClient,
  BENCH_SERVER_ENV,
  type RingflagProcess,
  startRingflagProcess,
} from '../support/ringflag-process.js';
import type { LoadPlan, LoadResult } from './http-load.js';
import { message, now, percentile, sleep } from './measure.js';

const WRITE_SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const STREAMS = Number(process.env.BENCH_CLUSTER_STREAMS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const PROFILE_SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? 3);
/** Which parts run: writes, propagation, profile (all by default). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'writes,propagation,profile').split(','));
const here = fileURLToPath(new URL('.', import.meta.url));
const tsx = ['--conditions=ringflag-source', '--import', 'tsx'];
const ENVIRONMENT = 'development';
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

// ---------------------------------------------------------------------------------------------------
// Deployments

/** Runs one statement on the deployment's database and returns its first row. */
type QueryOne = (statement: string) => Promise<Record<string, unknown>>;

/** The servers of one measurement, signed in, with a way to read their database directly. */
interface Deployment {
  label: string;
  replicas: RingflagProcess[];
  admin: AdminClient;
  query: QueryOne;
  /** Processes whose CPU time is PostgreSQL's (none on SQLite). */
  postgresPids: () => number[];
  stop(): Promise<void>;
}

interface SqliteDatabase {
  prepare(statement: string): { get(): Record<string, unknown> };
  close(): void;
}

async function startSqlite(label: string): Promise<Deployment> {
  const server = await startRingflagProcess({ env: BENCH_SERVER_ENV });
  const admin = await AdminClient.login(server.base);
  // better-sqlite3 is the server's dependency; the benchmark reaches it through the server.
  const Sqlite = createRequire(new URL('../../server/package.json', import.meta.url))(
    'better-sqlite3',
  ) as new (
    file: string,
    options: { readonly: boolean },
  ) => SqliteDatabase;
  return {
    label,
    replicas: [server],
    admin,
    query: async (statement) => {
      const db = new Sqlite(server.dbPath, { readonly: true });
      try {
        return db.prepare(statement).get();
      } finally {
        db.close();
      }
    },
    postgresPids: () => [],
    stop: async () => {
      await server.stop();
      rmSync(dirname(server.dbPath), { recursive: true, force: true });
    },
  };
}

/** `count` replicas on a new database of `postgres`, started together (they take turns migrating). */
async function startPostgresReplicas(
  label: string,
  postgres: PostgresServer,
  count: number,
): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'ringflag-cluster-bench-'));
  const db = await postgres.createDatabase();
  const env = { ...BENCH_SERVER_ENV, RINGFLAG_AUDIT_KEY_FILE: writeAuditKey(dir) };
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startRingflagProcess({ db, env })),
  );
  const replicas = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    await Promise.all(replicas.map((replica) => replica.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw failure.reason;
  }
  const admin = await AdminClient.login(replicas[0]!.base);
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  return {
    label,
    replicas,
    admin,
    query: async (statement) => (await client.query(statement)).rows[0] as Record<string, unknown>,
    postgresPids: () => postgresProcesses(postgres),
    stop: async () => {
      await client.end();
      await Promise.all(replicas.map((replica) => replica.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// CPU time from /proc

/** The postmaster of a throwaway server and its live children (backends, checkpointer, …). */
function postgresProcesses(postgres: PostgresServer): number[] {
  const postmaster = Number(
    readFileSync(join(postgres.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === postmaster) children.push(Number(entry));
    } catch {}
  }
  return [postmaster, ...children];
}

/** CPU seconds the whole machine was busy (all CPUs, /proc/stat), and the wall clock, in seconds. */
function machine(): { busy: number; at: number } {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .split(/\s+/)
    .map(Number) as number[];
  return { busy: (user! + nice! + system! + irq! + softirq! + steal!) / TICKS, at: performance.now() / 1000 };
}

/** CPU seconds (user + system, with reaped children) of processes, summed; 0 for gone ones. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime are fields 14–17 of the line, 12–15 after the name.
      for (const index of [11, 12, 13, 14]) ticks += Number(fields[index]);
    } catch {}
  }
  return ticks / TICKS;
}

// ---------------------------------------------------------------------------------------------------
// 1. Audited writes

interface WriteResult {
  label: string;
  writesPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Acknowledged writes, warm-up included. */
  acknowledged: number;
  perReplica: number[];
  auditVerifies: boolean;
  auditEventsAdded: number;
  revisionsAdded: number;
  gapFree: boolean;
  /** CPU ms per write: the Ringflag processes, PostgreSQL, the load generator. */
  cpu: { ringflag: number; postgres: number; client: number };
  /** CPUs' worth of work by processes outside the measurement (other users of the machine), on average. */
  otherCpus: number;
}

/** Creates one flag per connection: each connection toggles its own, so every request is a real change. */
async function createBenchFlags(admin: AdminClient, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `bench-${i}`);
  for (const key of keys) {
    await admin.request('POST', '/api/v1/flags', { key, name: `Benchmark flag ${key}`, kind: 'boolean' });
  }
  return keys;
}

async function revisionOf(deployment: Deployment): Promise<number> {
  const row = await deployment.query(`select revision from environments where key = '${ENVIRONMENT}'`);
  return Number(row.revision);
}

async function auditVerify(admin: AdminClient): Promise<{ ok: boolean; count: number; reason?: string }> {
  return admin.request('GET', '/api/v1/audit/verify');
}

/** Runs the load generator once in its own process. */
async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const child = fork(join(here, 'http-load.ts'), [], { execArgv: tsx, stdio: 'inherit' });
  try {
    await message(child, 'ready');
    child.send({ type: 'run', ...plan });
    return await message<LoadResult>(child, 'done', plan.warmupMs + plan.durationMs + 60_000);
  } finally {
    child.kill();
  }
}

/**
 * Toggles from CONNECTIONS keep-alive connections (each its own flag, on and off in turn), spread
 * round-robin over the deployment's replicas; then checks the audit chain and the revisions.
 */
async function benchWrites(deployment: Deployment): Promise<WriteResult> {
  const { admin, replicas } = deployment;
  const flags = await createBenchFlags(admin, CONNECTIONS);
  const revisionBefore = await revisionOf(deployment);
  const auditBefore = await auditVerify(admin);
  const load = fork(join(here, 'http-load.ts'), [], { execArgv: tsx, stdio: 'inherit' });
  const ringflagPids = replicas.map((replica) => replica.pid);
  const cpu = () => ({
    machine: machine(),
    ringflag: cpuSeconds(ringflagPids),
    postgres: cpuSeconds(deployment.postgresPids()),
    client: cpuSeconds([load.pid as number]),
  });
  let result: LoadResult;
  let cpuBefore: ReturnType<typeof cpu>;
  let cpuAfter: ReturnType<typeof cpu>;
  try {
    await message(load, 'ready');
    cpuBefore = cpu();
    load.send({
      type: 'run',
      targets: replicas.map((replica) => replica.base),
      method: 'POST',
      paths: flags.map((key) => `/api/v1/flags/${key}/environments/${ENVIRONMENT}/toggle`),
      bodies: flags.map(() => ['{"enabled":true}', '{"enabled":false}']),
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      warmupMs: WARMUP_SECONDS * 1000,
      durationMs: WRITE_SECONDS * 1000,
    } satisfies { type: string } & LoadPlan);
    result = await message<LoadResult>(load, 'done', (WARMUP_SECONDS + WRITE_SECONDS) * 1000 + 60_000);
    cpuAfter = cpu();
  } finally {
    load.kill();
  }
  if (result.failed > 0) {
    throw new Error(`${deployment.label}: ${result.failed} writes failed; first: ${result.firstFailure}`);
  }
  const revisionAfter = await revisionOf(deployment);
  const span = await deployment.query(
    `select count(*) as n, min(revision) as lo, max(revision) as hi from change_log ` +
      `where environment = '${ENVIRONMENT}' and revision > ${revisionBefore}`,
  );
  const [n, lo, hi] = [Number(span.n), Number(span.lo), Number(span.hi)];
  const revisionsAdded = revisionAfter - revisionBefore;
  const gapFree =
    revisionsAdded === result.okTotal &&
    n === revisionsAdded &&
    lo === revisionBefore + 1 &&
    hi === revisionAfter;
  const auditAfter = await auditVerify(admin);
  // The CPU of the warm-up and the timed part, per write acknowledged in either.
  const perWrite = (seconds: number) => (seconds * 1000) / result.okTotal;
  return {
    label: deployment.label,
    writesPerSecond: result.ok / result.seconds,
    p50: result.p50,
    p99: result.p99,
    max: result.max,
    acknowledged: result.okTotal,
    perReplica: result.perTarget,
    auditVerifies: auditAfter.ok,
    auditEventsAdded: auditAfter.count - auditBefore.count,
    revisionsAdded,
    gapFree,
    cpu: {
      ringflag: perWrite(cpuAfter.ringflag - cpuBefore.ringflag),
      postgres: perWrite(cpuAfter.postgres - cpuBefore.postgres),
      client: perWrite(cpuAfter.client - cpuBefore.client),
    },
    otherCpus: Math.max(
      0,
      (cpuAfter.machine.busy -
        cpuBefore.machine.busy -
        (cpuAfter.ringflag - cpuBefore.ringflag) -
        (cpuAfter.postgres - cpuBefore.postgres) -
        (cpuAfter.client - cpuBefore.client)) /
        (cpuAfter.machine.at - cpuBefore.machine.at),
    ),
  };
}

/** The floor of a write on PostgreSQL (pg-floor.ts): its statement sequence from plain node-postgres. */
interface FloorResult {
  label: string;
  writesPerSecond: number;
  p50: number;
  p99: number;
}

async function benchFloor(
  postgres: PostgresServer,
  label: string,
  connections: number,
): Promise<FloorResult> {
  const db = await postgres.createDatabase();
  const args = [db, String(connections), '1000', String(WRITE_SECONDS * 1000)];
  const child = fork(join(here, 'pg-floor.ts'), args, { execArgv: tsx, stdio: 'inherit' });
  try {
    const result = await message<{ ok: number; seconds: number; p50: number; p99: number }>(
      child,
      'done',
      WRITE_SECONDS * 1000 + 60_000,
    );
    return { label, writesPerSecond: result.ok / result.seconds, p50: result.p50, p99: result.p99 };
  } finally {
    child.kill();
  }
}

// ---------------------------------------------------------------------------------------------------
// 2. Propagation

interface PropagationResult {
  label: string;
  streams: number;
  p50: number;
  p99: number;
  max: number;
  dropped: number;
}

/**
 * Opens `STREAMS` SDK streams on each of `streamBases` (one client process each), then ROUNDS toggles
 * through `writer`; latency = receipt on a stream − the writer's response. One toggle first, untimed.
 */
async function benchPropagation(
  label: string,
  writer: AdminClient,
  streamBases: string[],
  sdkKey: string,
): Promise<PropagationResult> {
  await writer.request('POST', '/api/v1/flags', { key: 'bench', name: 'Benchmark flag', kind: 'boolean' });
  const clients = streamBases.map((base) =>
    fork(join(here, 'sse-clients.ts'), [`${base}/sdk/v1/stream`, String(STREAMS), sdkKey], {
      execArgv: tsx,
      stdio: 'inherit',
    }),
  );
  try {
    let dropped = 0;
    for (const client of clients) {
      dropped += (await message<{ count: number; failed: number }>(client, 'connected')).failed;
    }
    await sleep(1000);
    const last = clients.map(() => 0);
    const latencies: number[] = [];
    let enabled = false;
    for (let round = 0; round <= ROUNDS; round++) {
      const received = clients.map((client) =>
        message<{ revision: number; times: number[]; missing: number }>(client, 'received'),
      );
      enabled = !enabled;
      await writer.request('POST', `/api/v1/flags/bench/environments/${ENVIRONMENT}/toggle`, { enabled });
      const answered = now();
      clients.forEach((client, i) => {
        client.send({ type: 'await', after: last[i], timeoutMs: 10_000 });
      });
      const results = await Promise.all(received);
      if (round === 0 && results.some((result) => result.times.length === 0)) {
        // Not even the first change arrived within 10 s: every timed round would wait for nothing.
        console.warn(`${label}: a client's streams got no patch within 10 s; not measured`);
        return {
          label,
          streams: STREAMS * streamBases.length,
          p50: NaN,
          p99: NaN,
          max: NaN,
          dropped: STREAMS * streamBases.length * ROUNDS,
        };
      }
      results.forEach((result, i) => {
        last[i] = result.revision;
        if (round === 0) return;
        dropped += result.missing;
        for (const t of result.times) latencies.push(t - answered);
      });
      await sleep(300);
    }
    latencies.sort((a, b) => a - b);
    return {
      label,
      streams: STREAMS * streamBases.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? Number.NaN,
      dropped,
    };
  } finally {
    for (const client of clients) client.kill();
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. Where a write's time goes on PostgreSQL

interface Profile {
  label: string;
  writes: number;
  writesPerSecond: number;
  clientP50: number;
  /** Statements (= round trips) per write, all connections of all replicas. */
  statementsPerWrite: number;
  /** Statements per write from BEGIN to COMMIT, both included. */
  inTransaction: number;
  /** ms per write waiting in `pg_advisory_xact_lock`. */
  lockWaitMs: number;
  /** ms per write from the lock granted to COMMIT done: the audit chain is closed to others that long. */
  lockHeldMs: number;
  /** ms of that spent executing statements in PostgreSQL (parse + bind + execute). */
  lockHeldInPostgresMs: number;
  /** The most frequent statements, normalised, with their count per write. */
  top: { statement: string; perWrite: number }[];
}

const sqlOn = async (postgres: PostgresServer, statements: string[]) => {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
};

/**
 * `replicas` replicas, `connections` connections: WARMUP_SECONDS of toggles, then PROFILE_SECONDS more
 * with every statement and its duration in the server log (`log_min_duration_statement=0`, prefix
 * `%n [%p]`: epoch ms and backend pid), read back per transaction.
 */
async function profileWrites(
  postgres: PostgresServer,
  label: string,
  replicas: number,
  connections: number,
): Promise<Profile> {
  const deployment = await startPostgresReplicas(label, postgres, replicas);
  try {
    const flags = await createBenchFlags(deployment.admin, connections);
    const plan = (warmupMs: number, durationMs: number): LoadPlan => ({
      targets: deployment.replicas.map((replica) => replica.base),
      method: 'POST',
      paths: flags.map((key) => `/api/v1/flags/${key}/environments/${ENVIRONMENT}/toggle`),
      bodies: flags.map(() => ['{"enabled":true}', '{"enabled":false}']),
      headers: { authorization: `Bearer ${deployment.admin.token}`, 'content-type': 'application/json' },
      warmupMs,
      durationMs,
    });
    // Unlogged warm-up; then every flag off again, so each logged toggle is a real change.
    const warm = await runLoad(plan(WARMUP_SECONDS * 1000, 0));
    if (warm.failed > 0) throw new Error(`${label} warm-up: ${warm.firstFailure}`);
    for (const key of flags) {
      await deployment.admin.request('POST', `/api/v1/flags/${key}/environments/${ENVIRONMENT}/toggle`, {
        enabled: false,
      });
    }
    const log = join(postgres.dir, 'log');
    await sqlOn(postgres, [
      `alter system set log_line_prefix = '%n [%p] '`,
      'alter system set log_min_duration_statement = 0',
      'select pg_reload_conf()',
    ]);
    await sleep(500);
    const from = statSync(log).size;
    let run: LoadResult;
    try {
      run = await runLoad(plan(0, PROFILE_SECONDS * 1000));
    } finally {
      await sqlOn(postgres, [
        'alter system reset log_min_duration_statement',
        'alter system reset log_line_prefix',
        'select pg_reload_conf()',
      ]);
    }
    if (run.failed > 0) throw new Error(`${label}: ${run.firstFailure}`);
    const text = readFileSync(log).subarray(from, statSync(log).size).toString('utf8');
    return { label, writesPerSecond: run.ok / run.seconds, ...parseStatementLog(text, run.okTotal, run.p50) };
  } finally {
    await deployment.stop();
  }
}

function parseStatementLog(
  text: string,
  writes: number,
  clientP50: number,
): Omit<Profile, 'label' | 'writesPerSecond'> {
  const line =
    /^(\d+\.\d+) \[(\d+)\] LOG: {2}duration: ([\d.]+) ms {2}(statement|parse|bind|execute)[^:]*: (.*)$/;
  /** Per backend: the transaction it is in. */
  const open = new Map<string, { statements: number; lockedAt?: number; inPostgresMs: number }>();
  /** Per backend: parse + bind time of the statement about to execute. */
  const prepared = new Map<string, number>();
  const counts = new Map<string, number>();
  let statements = 0;
  let transactions = 0;
  let inTransaction = 0;
  let lockWaitMs = 0;
  let lockHeldMs = 0;
  let lockHeldInPostgresMs = 0;
  for (const entry of text.split('\n')) {
    const match = line.exec(entry);
    if (!match) continue;
    const [, epoch, pid, duration, kind, statement] = match as unknown as string[] as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const at = Number(epoch) * 1000;
    const ms = Number(duration);
    if (kind === 'parse' || kind === 'bind') {
      prepared.set(pid, (prepared.get(pid) ?? 0) + ms);
      continue;
    }
    const total = ms + (prepared.get(pid) ?? 0);
    prepared.delete(pid);
    statements++;
    const normalised = statement.replace(/\$\d+/g, '$').replace(/\s+/g, ' ').slice(0, 90);
    counts.set(normalised, (counts.get(normalised) ?? 0) + 1);
    const verb = statement.trim().toLowerCase();
    if (verb === 'begin') {
      open.set(pid, { statements: 1, inPostgresMs: 0 });
      continue;
    }
    const transaction = open.get(pid);
    if (!transaction) continue;
    transaction.statements++;
    if (verb.includes('pg_advisory_xact_lock')) {
      transaction.lockedAt = at;
      lockWaitMs += total;
    } else if (transaction.lockedAt !== undefined) {
      transaction.inPostgresMs += total;
    }
    if (verb === 'commit' || verb === 'rollback') {
      open.delete(pid);
      if (transaction.lockedAt === undefined) continue;
      transactions++;
      inTransaction += transaction.statements;
      lockHeldMs += at - transaction.lockedAt;
      lockHeldInPostgresMs += transaction.inPostgresMs;
    }
  }
  const per = (value: number) => value / Math.max(1, transactions);
  return {
    writes,
    clientP50,
    statementsPerWrite: statements / writes,
    inTransaction: per(inTransaction),
    lockWaitMs: per(lockWaitMs),
    lockHeldMs: per(lockHeldMs),
    lockHeldInPostgresMs: per(lockHeldInPostgresMs),
    top: [...counts]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 16)
      .map(([text, count]) => ({ statement: text, perWrite: count / writes })),
  };
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL with fsync on: the throwaway server runs with fsync=off, which its command line fixes.

const PG_BIN = process.env.RINGFLAG_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Runs pg_ctl on the throwaway server's data directory (as `postgres` when we are root). */
function pgCtl(postgres: PostgresServer, args: string[]): void {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const line = [join(PG_BIN, 'pg_ctl'), '-D', join(postgres.dir, 'data'), ...args].map(quote).join(' ');
  if (process.getuid?.() === 0)
    execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', line], { stdio: 'ignore' });
  else execFileSync('/bin/sh', ['-c', line], { stdio: 'ignore' });
}

/** Restarts the server with its usual settings but `fsync=on` for `body`, then as before. */
async function withFsync<T>(postgres: PostgresServer, body: () => Promise<T>): Promise<T> {
  await postgres.stop('fast');
  const settings = `-p ${postgres.port} -k ${postgres.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on`;
  pgCtl(postgres, ['-o', settings, '-w', '-t', '30', '-l', join(postgres.dir, 'log'), 'start']);
  try {
    return await body();
  } finally {
    pgCtl(postgres, ['-m', 'fast', '-w', 'stop']);
    await postgres.start();
  }
}

// ---------------------------------------------------------------------------------------------------
// The run

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const postgres = await startPostgres();
try {
  const writes: WriteResult[] = [];
  const floors: FloorResult[] = [];
  const measureWrites = async (start: () => Promise<Deployment>) => {
    const deployment = await start();
    try {
      writes.push(await benchWrites(deployment));
    } finally {
      await deployment.stop();
    }
  };
  if (PARTS.has('writes')) {
    await measureWrites(() => startSqlite('SQLite, 1 process'));
    await measureWrites(() => startPostgresReplicas('PostgreSQL, 1 replica', postgres, 1));
    await measureWrites(() => startPostgresReplicas('PostgreSQL, 3 replicas', postgres, 3));
    floors.push(await benchFloor(postgres, 'floor, 1 connection', 1));
    floors.push(await benchFloor(postgres, `floor, ${CONNECTIONS} connections`, CONNECTIONS));
    await withFsync(postgres, async () => {
      await measureWrites(() => startPostgresReplicas('PostgreSQL, 1 replica, fsync=on', postgres, 1));
      floors.push(await benchFloor(postgres, `floor, ${CONNECTIONS} connections, fsync=on`, CONNECTIONS));
    });
  }

  const propagation: PropagationResult[] = [];
  if (PARTS.has('propagation')) {
    const single = await startSqlite('single node');
    try {
      const sdkKey = await single.admin.createSdkKey(ENVIRONMENT, 'server');
      const base = single.replicas[0]!.base;
      propagation.push(
        await benchPropagation('SQLite, 1 node (writes and streams)', single.admin, [base, base], sdkKey),
      );
    } finally {
      await single.stop();
    }
    const cluster = await startPostgresReplicas('cluster', postgres, 3);
    try {
      const sdkKey = await cluster.admin.createSdkKey(ENVIRONMENT, 'server');
      const [, b, c] = cluster.replicas;
      propagation.push(
        await benchPropagation(
          'PostgreSQL, written on A, streams on B and C',
          cluster.admin,
          [b!.base, c!.base],
          sdkKey,
        ),
      );
    } finally {
      await cluster.stop();
    }
  }

  const profiles: Profile[] = [];
  if (PARTS.has('profile')) {
    profiles.push(await profileWrites(postgres, 'PostgreSQL, 1 replica, 1 connection', 1, 1));
    profiles.push(
      await profileWrites(postgres, `PostgreSQL, 1 replica, ${CONNECTIONS} connections`, 1, CONNECTIONS),
    );
    profiles.push(
      await profileWrites(postgres, `PostgreSQL, 3 replicas, ${CONNECTIONS} connections`, 3, CONNECTIONS),
    );
  }

  if (writes.length > 0) {
    console.log(
      `\nAudited writes (toggles, ${CONNECTIONS} keep-alive connections, each its own flag; ` +
        `${WARMUP_SECONDS} s warm-up, ${WRITE_SECONDS} s timed)\n`,
    );
    console.log(
      '| deployment | writes/s | p50 ms | p99 ms | max ms | per replica | audit verifies | gap-free |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | --- | --- | --- |');
    for (const w of writes) {
      console.log(
        `| ${w.label} | ${fmt(w.writesPerSecond, 0)} | ${fmt(w.p50)} | ${fmt(w.p99)} | ${fmt(w.max)} | ` +
          `${w.perReplica.join(' / ')} | ${w.auditVerifies ? 'yes' : 'NO'} | ${w.gapFree ? 'yes' : 'NO'} |`,
      );
    }
    console.log(
      '\nChecks, and CPU per write (ms, warm-up and timed part; other processes: CPUs busy outside the benchmark)\n',
    );
    console.log(
      '| deployment | acknowledged | revisions added | audit events added | Ringflag CPU | PostgreSQL CPU | client CPU | other processes |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const w of writes) {
      console.log(
        `| ${w.label} | ${w.acknowledged} | ${w.revisionsAdded} | ${w.auditEventsAdded} | ` +
          `${fmt(w.cpu.ringflag, 2)} | ${fmt(w.cpu.postgres, 2)} | ${fmt(w.cpu.client, 2)} | ` +
          `${fmt(w.otherCpus, 2)} CPUs |`,
      );
    }
    const broken = writes.filter(
      (w) => !w.auditVerifies || !w.gapFree || w.auditEventsAdded !== w.acknowledged,
    );
    for (const w of broken) {
      console.log(
        `CHECK FAILED: ${w.label}: the audit chain or the revisions do not match the acknowledged writes`,
      );
    }
    if (broken.length > 0) process.exitCode = 1;
    const base = writes[0];
    if (base) {
      for (const w of writes.slice(1)) {
        console.log(`${w.label}: ${fmt(w.writesPerSecond / base.writesPerSecond, 2)}× SQLite's writes/s`);
      }
    }
    console.log(
      '\nFloor: the same 13 statements (10 under the same lock) from plain node-postgres, no HTTP, no ORM\n',
    );
    console.log('| floor | writes/s | p50 ms | p99 ms |');
    console.log('| --- | ---: | ---: | ---: |');
    for (const f of floors) {
      console.log(`| ${f.label} | ${fmt(f.writesPerSecond, 0)} | ${fmt(f.p50, 2)} | ${fmt(f.p99, 2)} |`);
    }
  }
  if (propagation.length > 0) {
    console.log('\nPropagation: response to the toggle → patch received on every stream (ms)\n');
    console.log('| deployment | streams | p50 ms | p99 ms | max ms | dropped |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const p of propagation) {
      console.log(
        `| ${p.label} | ${p.streams} | ${fmt(p.p50)} | ${fmt(p.p99)} | ${fmt(p.max)} | ${p.dropped} |`,
      );
    }
    const [single, cluster] = propagation;
    if (single && cluster) {
      console.log(
        `\nCross-replica p99 − single-node p99 = ${fmt(cluster.p99 - single.p99)} ms (target ≤ 50 ms: ` +
          `${cluster.p99 - single.p99 <= 50 ? 'met' : 'not met'})`,
      );
    }
  }

  if (profiles.length > 0) {
    console.log(
      `\nWhere a write's time goes on PostgreSQL: ${WARMUP_SECONDS} s warm-up, then ${PROFILE_SECONDS} s with ` +
        'every statement logged by the server (the logging itself slows it); per write, ms\n',
    );
    console.log(
      '| run | writes/s | client p50 | statements | in the transaction | waiting for the lock | lock held | of which in PostgreSQL | ceiling (1 / lock held) |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const p of profiles) {
      console.log(
        `| ${p.label} | ${fmt(p.writesPerSecond, 0)} | ${fmt(p.clientP50, 2)} | ${fmt(p.statementsPerWrite)} | ` +
          `${fmt(p.inTransaction)} | ${fmt(p.lockWaitMs, 2)} | ${fmt(p.lockHeldMs, 2)} | ` +
          `${fmt(p.lockHeldInPostgresMs, 2)} | ${fmt(1000 / p.lockHeldMs, 0)}/s |`,
      );
    }
    for (const p of profiles) {
      console.log(`\nStatements per write, ${p.label}\n`);
      console.log('| per write | statement |');
      console.log('| ---: | --- |');
      for (const { statement, perWrite } of p.top) {
        console.log(`| ${fmt(perWrite, 2)} | \`${statement.replace(/\|/g, '\\|')}\` |`);
      }
    }
  }
} finally {
  await postgres.destroy();
}
