/**
 * Relay benchmark, in one run on one machine:
 *
 * 1. Streams per relay process: N `/sdk/v1/stream` streams on one relay (`ringflag relay`), a flag
 *    toggled on the server; the time from the admin API's response until each stream got the patch,
 *    and the relay's RSS per stream. Against a bare node:http broadcaster (floor-server.ts) with as
 *    many streams, open at the same time; the two take turns change by change, so both meet the same
 *    background load on a shared machine. A stream on the server itself times the upstream hop.
 * 2. A tree: server → 2 relays → M streams on each; the change → SDK latency over all streams, and the
 *    server's own stream count from its `/metrics` (one stream per relay).
 * 3. Evaluation throughput of one relay process pinned to one CPU (`taskset`), with a flag set of about
 *    100 kB (rules, segments, rollouts, targets, prerequisites; every flag clientSide): one context per
 *    request, `POST /client/v1/evaluate` and OFREP bulk `POST /ofrep/v1/evaluate/flags`, with distinct
 *    contexts (the evaluation cache cannot hold them all, so every request evaluates) and with one
 *    context (every answer comes from the cache). Load from http-load.ts (keep-alive raw sockets) on
 *    the other CPU; the relay's rate limits lifted.
 *
 * Every party is its own process: the server, the relays, the floor, the raw SSE clients
 * (sse-clients.ts) and the load generator. Loopback only. A process holds at most as many sockets as
 * its open-file hard limit allows: a stream count beyond that (minus 100 for the process itself) is
 * measured at that count, and said so.
 *
 *   pnpm bench:relay   (BENCH_STREAMS=10000,20000 BENCH_TREE_STREAMS=10000 BENCH_ROUNDS=5
 *                       BENCH_SECONDS=10 BENCH_WARMUP_SECONDS=3 BENCH_CONNECTIONS=32
 *                       BENCH_CONTEXTS=10000 BENCH_FLAGS=110 BENCH_PARTS=streams,tree,evaluate
 *                       BENCH_SCENARIOS=client,ofrep,client-cached,ofrep-cached)
 *   BENCH_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the relays.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdminClient,
  BENCH_SERVER_ENV,
  freePort,
  type RingflagProcess,
  startRingflagProcess,
  startTsProcess,
} from '../support/ringflag-process.js';
import type { LoadPlan, LoadResult } from './http-load.js';
import { message, now, percentile, rssKb, sleep } from './measure.js';
import { contextOf, createFlagSet, SEGMENTS } from './relay-flag-set.js';

const SIZES = (process.env.BENCH_STREAMS ?? '10000,20000').split(',').map(Number);
const TREE_STREAMS = Number(process.env.BENCH_TREE_STREAMS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const CONTEXTS = Number(process.env.BENCH_CONTEXTS ?? 10_000);
const FLAGS = Number(process.env.BENCH_FLAGS ?? 110);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'streams,tree,evaluate').split(','));
/** Which evaluation scenarios run: client, ofrep (distinct contexts), client-cached, ofrep-cached. */
const SCENARIOS = new Set(
  (process.env.BENCH_SCENARIOS ?? 'client,ofrep,client-cached,ofrep-cached').split(','),
);
const here = fileURLToPath(new URL('.', import.meta.url));
const CLI = fileURLToPath(new URL('../../server/src/cli.ts', import.meta.url));
const tsx = ['--conditions=ringflag-source', '--import', 'tsx'];
const ENVIRONMENT = 'development';
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;
/** Unleash Edge's published figure for this scenario (100 kB of flags, one context per request). */
const UNLEASH_EDGE_PER_CPU = 6_900;

// ---------------------------------------------------------------------------------------------------
// Processes

/** The open-file limits of this process (soft, hard); children inherit them. */
function fdLimits(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((row) => row.startsWith('Max open files'));
  const [soft, hard] = (line?.split(/\s{2,}/).slice(1, 3) ?? []).map((value) =>
    value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value),
  );
  return { soft: soft ?? 1024, hard: hard ?? 1024 };
}

// Raise the soft limit to the hard one (no privilege needed), so every child may hold that many sockets.
{
  const { soft, hard } = fdLimits();
  if (soft < hard && Number.isFinite(hard)) {
    spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`]);
  }
}
const FD_LIMIT = fdLimits().soft;
/** Sockets one process may hold: its open-file limit less 100 for the process itself. */
const SOCKETS_PER_PROCESS = Number.isFinite(FD_LIMIT) ? FD_LIMIT - 100 : 1_000_000;
/** Streams per client process: more processes share the receiving work on a larger count. */
const STREAMS_PER_CLIENT = Math.min(10_000, SOCKETS_PER_PROCESS);

const hasTaskset = spawnSync('taskset', ['--version']).error === undefined;

/** Pins a process and all its threads to one CPU; false where taskset is missing. */
function pin(pid: number, cpu: number): boolean {
  if (!hasTaskset) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)]).status === 0;
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds the whole machine was busy (all CPUs, /proc/stat), and the wall clock, in seconds. */
function machine(): { busy: number; at: number } {
  const [, user, nice, system, , , irq, softirq, steal] = (
    readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  )
    .split(/\s+/)
    .map(Number) as number[];
  return {
    busy: ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS,
    at: performance.now() / 1000,
  };
}

/** CPUs' worth of work, on average since `since`, by processes other than `pids`. */
function otherCpusSince(since: { machine: ReturnType<typeof machine>; parties: number }, pids: number[]) {
  const at = machine();
  const parties = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  return Math.max(0, (at.busy - since.machine.busy - (parties - since.parties)) / (at.at - since.machine.at));
}

/** Where {@link otherCpusSince} counts from. */
const cpuMark = (pids: number[]) => ({
  machine: machine(),
  parties: pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
});

interface Server {
  process: RingflagProcess;
  admin: AdminClient;
  /** The server key the relays follow `development` with. */
  sdkKey: string;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const server = await startRingflagProcess({ env: BENCH_SERVER_ENV });
  const admin = await AdminClient.login(server.base);
  const sdkKey = await admin.createSdkKey(ENVIRONMENT, 'server');
  return {
    process: server,
    admin,
    sdkKey,
    stop: async () => {
      await server.stop();
      rmSync(dirname(server.dbPath), { recursive: true, force: true });
    },
  };
}

interface Relay {
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `ringflag relay --upstream <upstream>` (server/src/cli.ts) as its own process, ready once its
 * `/readyz` answers (it has the upstream's flags), configured through its environment as an operator
 * would: the bench's lifted per-address and per-key limits (all load comes from one loopback address),
 * nothing persisted, and a connection limit above the streams measured (its default keeps a tenth of
 * the open-file limit in reserve for other requests). Node runs the command's source itself, not
 * through server/bin/ringflag.mjs as test/support/relay-process.ts does: that command starts the relay
 * as a child of its own, and this benchmark reads the relay's own process (RSS, CPU time, CPU pinning).
 */
async function startMeasuredRelay(upstream: string, sdkKey: string): Promise<Relay> {
  const port = await freePort();
  // Only this benchmark's RINGFLAG_ settings: none of the caller's leaks in.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('RINGFLAG_')),
  );
  const { child, base, exited } = await startTsProcess({
    name: 'the relay',
    entry: CLI,
    args: ['relay', '--upstream', upstream],
    // To profile the relays, e.g. BENCH_RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
    nodeArgs: process.env.BENCH_RELAY_NODE_ARGS?.split(' ').filter(Boolean),
    port,
    readyPath: '/readyz',
    env: {
      ...env,
      ...BENCH_SERVER_ENV,
      RINGFLAG_RELAY_SDK_KEYS: sdkKey,
      RINGFLAG_PORT: String(port),
      RINGFLAG_HOST: '127.0.0.1',
      RINGFLAG_RELAY_DATA_DIR: 'off',
      RINGFLAG_MAX_CONNECTIONS: String(Math.ceil((SOCKETS_PER_PROCESS + 1000) / 0.9)),
    },
  });
  return {
    base,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The value of one gauge line of a Prometheus text page, summed over its labels. */
async function gauge(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------------
// 1 and 2. Streams

interface StreamResult {
  label: string;
  /** Streams asked for, and opened. */
  requested: number;
  streams: number;
  /** The median receipt on a stream of the server itself (the relays' upstream), or NaN. */
  upstreamP50: number;
  p50: number;
  p99: number;
  max: number;
  dropped: number;
  /** RSS growth of the serving processes per stream (KB). */
  rssPerStreamKb: number;
  /** CPUs busy with other processes' work (other users of the machine) during the timed changes. */
  otherCpus: number;
}

/** Splits `count` streams into client processes of at most STREAMS_PER_CLIENT each. */
function split(count: number): number[] {
  const processes = Math.ceil(count / STREAMS_PER_CLIENT);
  return Array.from(
    { length: processes },
    (_, i) => Math.floor(count / processes) + (i < count % processes ? 1 : 0),
  );
}

/** What serves some streams, how to change what they carry, and what to watch. */
interface StreamTarget {
  label: string;
  /** Streams asked for (more than `groups` hold when a process cannot hold them all). */
  requested: number;
  /** One sse-clients.ts process per group; a `reference` group's streams are timed apart and not counted. */
  groups: { url: string; count: number; reference?: boolean }[];
  authorization: string;
  /** Makes one change; latency = receipt − its answer. */
  trigger: () => Promise<void>;
  /** The serving processes, whose RSS growth is divided among the streams. */
  rssPids: number[];
  /** Other processes of the measurement (the server), left out of "other processes". */
  partyPids: number[];
  /** Relays whose `/metrics` say why streams failed to open. */
  metricsBases: string[];
  /** Runs with every stream open. */
  whileOpen?: () => Promise<void>;
}

/** A target with its client processes open. */
interface OpenTarget {
  target: StreamTarget;
  clients: ChildProcess[];
  last: number[];
  streams: number;
  dropped: number;
  rssPerStreamKb: number;
  latencies: number[];
  referenceLatencies: number[];
}

/**
 * Opens every target's streams, one target after another, then makes ROUNDS + 1 changes on each, the
 * targets taking turns round by round (the first round untimed: it warms every party up), so that on a
 * shared machine each target meets the same background load. Client processes open one after another,
 * each at sse-clients.ts's pace (250 every 20 ms), so a serving process is never asked to accept faster
 * than in a one-process run. RSS per stream: the growth of the target's serving processes from before
 * its streams to a second after they are open.
 */
async function measureStreams(targets: StreamTarget[]): Promise<StreamResult[]> {
  const open: OpenTarget[] = [];
  try {
    for (const target of targets) {
      await sleep(500);
      const rssOf = () => target.rssPids.reduce((sum, pid) => sum + rssKb(pid), 0);
      const rssBefore = rssOf();
      const opened: OpenTarget = {
        target,
        clients: [],
        last: [],
        streams: 0,
        dropped: 0,
        rssPerStreamKb: Number.NaN,
        latencies: [],
        referenceLatencies: [],
      };
      open.push(opened);
      for (const { url, count, reference } of target.groups) {
        const client = fork(join(here, 'sse-clients.ts'), [url, String(count), target.authorization], {
          execArgv: tsx,
          stdio: 'inherit',
        });
        opened.clients.push(client);
        opened.last.push(0);
        const connected = await message<{ count: number; failed: number }>(client, 'connected');
        if (reference) continue;
        opened.dropped += connected.failed;
        opened.streams += connected.count;
      }
      if (opened.dropped > 0) {
        // Why: the relays' own account of refused streams and failed accepts.
        for (const base of target.metricsBases) {
          const text = await (await fetch(`${base}/metrics`)).text();
          const lines = text
            .split('\n')
            .filter((line) => /^ringflag_(connections_refused|fd_exhaustion|open_)/.test(line));
          console.warn(
            `${target.label}: ${opened.dropped} streams failed to open; ${base}/metrics:\n  ${lines.join('\n  ')}`,
          );
        }
      }
      await sleep(1000);
      opened.rssPerStreamKb = (rssOf() - rssBefore) / opened.streams;
      await target.whileOpen?.();
    }
    const parties = [
      process.pid,
      ...open.flatMap(({ target, clients }) => [
        ...target.rssPids,
        ...target.partyPids,
        ...clients.map((client) => client.pid as number),
      ]),
    ];
    const mark = cpuMark(parties);
    for (let round = 0; round <= ROUNDS; round++) {
      for (const opened of open) {
        const { target, clients, last } = opened;
        const received = clients.map((client) =>
          message<{ revision: number; times: number[]; missing: number }>(client, 'received'),
        );
        await target.trigger();
        const answered = now();
        clients.forEach((client, i) => {
          client.send({ type: 'await', after: last[i], timeoutMs: 15_000 });
        });
        const results = await Promise.all(received);
        results.forEach((result, i) => {
          last[i] = result.revision;
          if (round === 0) return;
          if (target.groups[i]?.reference) {
            for (const t of result.times) opened.referenceLatencies.push(t - answered);
            return;
          }
          opened.dropped += result.missing;
          for (const t of result.times) opened.latencies.push(t - answered);
        });
        await sleep(300);
      }
    }
    const otherCpus = otherCpusSince(mark, parties);
    return open.map(({ target, streams, dropped, rssPerStreamKb, latencies, referenceLatencies }) => {
      latencies.sort((a, b) => a - b);
      referenceLatencies.sort((a, b) => a - b);
      return {
        label: target.label,
        requested: target.requested,
        streams,
        upstreamP50: percentile(referenceLatencies, 50),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1] ?? Number.NaN,
        dropped,
        rssPerStreamKb,
        otherCpus,
      };
    });
  } finally {
    for (const { clients } of open) for (const client of clients) client.kill();
  }
}

/** `count` streams asked for, capped at what one serving process can hold. */
const servable = (count: number) => Math.min(count, SOCKETS_PER_PROCESS);

/** Toggles the `bench` flag on the server, on and off in turn. */
function toggler(server: Server): () => Promise<void> {
  let enabled = false;
  return async () => {
    enabled = !enabled;
    await server.admin.request('POST', `/api/v1/flags/bench/environments/${ENVIRONMENT}/toggle`, {
      enabled,
    });
  };
}

/** A stream of the server itself: when the relays' upstream has the change. */
const upstreamReference = (server: Server) => ({
  url: `${server.process.base}/sdk/v1/stream`,
  count: 1,
  reference: true,
});

/** The floor's labels: it answers the change first and then writes it, or (as in bench:propagation) the reverse. */
const FLOOR_ANSWER_FIRST = 'node:http floor, answers then writes';
const FLOOR_WRITE_FIRST = 'node:http floor, writes then answers';

/**
 * `requested` streams on one relay and as many on each of two floors, measured in turns. The relay
 * hears of a change when the server has it and then writes it to its streams, so its time includes its
 * writes: the floor that answers first and then writes is its like. The floor that writes and then
 * answers (bench:propagation's, where the server also publishes before it answers) leaves its writes
 * out of its time.
 */
async function benchStreams(server: Server, requested: number): Promise<StreamResult[]> {
  const streams = servable(requested);
  const floors: ChildProcess[] = [];
  let relay: Relay | undefined;
  try {
    const floorTarget = async (label: string, query: string): Promise<StreamTarget> => {
      const floor = fork(join(here, 'floor-server.ts'), [], { execArgv: tsx, stdio: 'inherit' });
      floors.push(floor);
      const { port } = await message<{ port: number }>(floor, 'listening');
      const base = `http://127.0.0.1:${port}`;
      return {
        label,
        requested,
        groups: split(streams).map((count) => ({ url: `${base}/stream`, count })),
        authorization: '',
        trigger: async () => {
          await (await fetch(`${base}/broadcast?${query}`, { method: 'POST' })).text();
        },
        rssPids: [floor.pid as number],
        partyPids: [],
        metricsBases: [],
      };
    };
    const answerFirst = await floorTarget(FLOOR_ANSWER_FIRST, 'bytes=400&answer=first');
    const writeFirst = await floorTarget(FLOOR_WRITE_FIRST, 'bytes=400');
    relay = await startMeasuredRelay(server.process.base, server.sdkKey);
    return await measureStreams([
      answerFirst,
      {
        label: 'relay',
        requested,
        groups: [
          upstreamReference(server),
          ...split(streams).map((count) => ({ url: `${relay?.base}/sdk/v1/stream`, count })),
        ],
        authorization: server.sdkKey,
        trigger: toggler(server),
        rssPids: [relay.pid],
        partyPids: [server.process.pid],
        metricsBases: [relay.base],
      },
      writeFirst,
    ]);
  } finally {
    for (const floor of floors) floor.kill();
    await relay?.stop();
  }
}

async function benchTree(server: Server): Promise<{ result: StreamResult; serverStreams: number }> {
  const relays = [
    await startMeasuredRelay(server.process.base, server.sdkKey),
    await startMeasuredRelay(server.process.base, server.sdkKey),
  ];
  try {
    const perRelay = servable(TREE_STREAMS);
    let serverStreams = Number.NaN;
    const [result] = await measureStreams([
      {
        label: 'server → 2 relays',
        requested: TREE_STREAMS * relays.length,
        groups: [
          upstreamReference(server),
          ...relays.flatMap((relay) =>
            split(perRelay).map((count) => ({ url: `${relay.base}/sdk/v1/stream`, count })),
          ),
        ],
        authorization: server.sdkKey,
        trigger: toggler(server),
        rssPids: relays.map((relay) => relay.pid),
        partyPids: [server.process.pid],
        metricsBases: relays.map((relay) => relay.base),
        whileOpen: async () => {
          // Every SDK stream open: the server serves the relays, and the benchmark's reference stream.
          serverStreams = (await gauge(server.process.base, 'ringflag_sse_connections')) - 1;
        },
      },
    ]);
    return { result: result as StreamResult, serverStreams };
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()));
  }
}

// ---------------------------------------------------------------------------------------------------
// 3. Evaluation throughput

interface EvaluateResult {
  label: string;
  requestsPerSecond: number;
  /** Requests per CPU-second the relay used (warm-up and timed part). */
  perRelayCpuSecond: number;
  /** The relay's CPU use over the run, in CPUs. */
  relayCpus: number;
  /** The load generator's CPU use over the run, in CPUs. */
  loadCpus: number;
  p50: number;
  p99: number;
  p999: number;
  failed: number;
  responseBytes: number;
  /** CPUs busy with other processes' work (other users of the machine) during the run. */
  otherCpus: number;
}

/** Where the load goes: the relay, the server behind it, and the CPU the load generator is pinned to. */
interface LoadTarget {
  relay: Relay;
  serverPid: number;
  loadCpu: number | undefined;
}

async function runLoad(
  label: string,
  { relay, serverPid, loadCpu }: LoadTarget,
  path: string,
  authorization: string,
  bodiesOf: (worker: number) => string[],
  responseBytes: number,
): Promise<EvaluateResult> {
  const load = fork(join(here, 'http-load.ts'), [], { execArgv: tsx, stdio: 'inherit' });
  try {
    await message(load, 'ready');
    if (loadCpu !== undefined) pin(load.pid as number, loadCpu);
    const plan: LoadPlan = {
      targets: [relay.base],
      method: 'POST',
      paths: Array.from({ length: CONNECTIONS }, () => path),
      bodies: Array.from({ length: CONNECTIONS }, (_, worker) => bodiesOf(worker)),
      headers: { authorization, 'content-type': 'application/json' },
      warmupMs: WARMUP_SECONDS * 1000,
      durationMs: SECONDS * 1000,
    };
    const parties = [relay.pid, load.pid as number, serverPid, process.pid];
    const mark = cpuMark(parties);
    const relayBefore = cpuSeconds(relay.pid);
    const loadBefore = cpuSeconds(load.pid as number);
    const started = performance.now();
    load.send({ type: 'run', ...plan });
    const result = await message<LoadResult>(load, 'done', (WARMUP_SECONDS + SECONDS) * 1000 + 60_000);
    const wall = (performance.now() - started) / 1000;
    const relayCpu = cpuSeconds(relay.pid) - relayBefore;
    const loadCpuUsed = cpuSeconds(load.pid as number) - loadBefore;
    const otherCpus = otherCpusSince(mark, parties);
    if (result.failed > 0) console.warn(`${label}: ${result.failed} failed; first: ${result.firstFailure}`);
    return {
      label,
      requestsPerSecond: result.ok / result.seconds,
      perRelayCpuSecond: result.okTotal / relayCpu,
      relayCpus: relayCpu / wall,
      loadCpus: loadCpuUsed / wall,
      p50: result.p50,
      p99: result.p99,
      p999: result.p999,
      failed: result.failed,
      responseBytes,
      otherCpus,
    };
  } finally {
    load.kill();
  }
}

interface EvaluateSetup {
  flags: number;
  payloadBytes: number;
  clientFlags: number;
  pinned: string;
  cacheEntries: number;
  results: EvaluateResult[];
}

async function benchEvaluate(): Promise<EvaluateSetup> {
  const server = await startServer();
  try {
    const flags = await createFlagSet(server.admin, ENVIRONMENT, FLAGS);
    const clientKey = await server.admin.createSdkKey(ENVIRONMENT, 'client');
    const relay = await startMeasuredRelay(server.process.base, server.sdkKey);
    try {
      // The relay on CPU 1 alone; the server (idle but for the relay's key polls) and the load on CPU 0.
      const relayPinned = pin(relay.pid, 1);
      const serverPinned = pin(server.process.pid, 0);
      const pinned =
        relayPinned && serverPinned
          ? 'relay pinned to CPU 1 (taskset -a -p -c 1), server and load generator to CPU 0'
          : 'not pinned (taskset unavailable): relay, server and load generator share the CPUs';
      const payload = await fetch(`${relay.base}/sdk/v1/flags`, {
        headers: { authorization: server.sdkKey },
      });
      const payloadBytes = (await payload.arrayBuffer()).byteLength;
      const probe = async (path: string, body: string) => {
        const response = await fetch(`${relay.base}${path}`, {
          method: 'POST',
          headers: { authorization: clientKey, 'content-type': 'application/json' },
          body,
        });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
        return text;
      };
      const clientBody = (i: number) => JSON.stringify({ context: contextOf(i) });
      const ofrepBody = (i: number) => {
        const { key, ...attributes } = contextOf(i);
        return JSON.stringify({ context: { targetingKey: key, ...attributes } });
      };
      const clientText = await probe('/client/v1/evaluate', clientBody(1));
      const ofrepText = await probe('/ofrep/v1/evaluate/flags', ofrepBody(1));
      const clientFlags = Object.keys((JSON.parse(clientText) as { flags: object }).flags).length;
      const ofrepFlags = (JSON.parse(ofrepText) as { flags: unknown[] }).flags.length;
      if (clientFlags !== flags || ofrepFlags !== flags) {
        throw new Error(`expected ${flags} flags, got ${clientFlags} (client) and ${ofrepFlags} (OFREP)`);
      }
      // The evaluation cache keeps at most 10,000 entries and 64 MiB at 4 bytes per character of an
      // answer (evaluation-cache.ts): contexts cycled in order beyond that never hit.
      const cacheEntries = Math.min(10_000, Math.floor((64 * 1024 * 1024) / (4 * clientText.length)));
      // Worker w sends contexts w, w + CONNECTIONS, …: CONTEXTS distinct ones in all, cycled in order.
      const distinct = (body: (i: number) => string) => (worker: number) =>
        Array.from({ length: Math.ceil(CONTEXTS / CONNECTIONS) }, (_, n) => worker + n * CONNECTIONS)
          .filter((i) => i < CONTEXTS)
          .map(body);
      const target: LoadTarget = {
        relay,
        serverPid: server.process.pid,
        loadCpu: relayPinned ? 0 : undefined,
      };
      const scenarios = [
        {
          name: 'client',
          label: `POST /client/v1/evaluate, ${count(CONTEXTS)} contexts`,
          path: '/client/v1/evaluate',
          authorization: clientKey,
          bodies: distinct(clientBody),
          bytes: clientText.length,
        },
        {
          name: 'ofrep',
          label: `POST /ofrep/v1/evaluate/flags, ${count(CONTEXTS)} contexts`,
          path: '/ofrep/v1/evaluate/flags',
          authorization: `Bearer ${clientKey}`,
          bodies: distinct(ofrepBody),
          bytes: ofrepText.length,
        },
        {
          name: 'client-cached',
          label: 'POST /client/v1/evaluate, one context (cached)',
          path: '/client/v1/evaluate',
          authorization: clientKey,
          bodies: () => [clientBody(1)],
          bytes: clientText.length,
        },
        {
          name: 'ofrep-cached',
          label: 'POST /ofrep/v1/evaluate/flags, one context (cached)',
          path: '/ofrep/v1/evaluate/flags',
          authorization: `Bearer ${clientKey}`,
          bodies: () => [ofrepBody(1)],
          bytes: ofrepText.length,
        },
      ];
      const results: EvaluateResult[] = [];
      for (const scenario of scenarios.filter(({ name }) => SCENARIOS.has(name))) {
        results.push(
          await runLoad(
            scenario.label,
            target,
            scenario.path,
            scenario.authorization,
            scenario.bodies,
            scenario.bytes,
          ),
        );
      }
      return { flags, payloadBytes, clientFlags, pinned, cacheEntries, results };
    } finally {
      await relay.stop();
    }
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// The run

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const count = (n: number) => n.toLocaleString('en');
const streamResults: StreamResult[] = [];
let tree: { result: StreamResult; serverStreams: number } | undefined;
let evaluation: EvaluateSetup | undefined;

if (PARTS.has('streams') || PARTS.has('tree')) {
  const server = await startServer();
  try {
    await server.admin.request('POST', '/api/v1/flags', {
      key: 'bench',
      name: 'Benchmark flag',
      kind: 'boolean',
    });
    if (PARTS.has('streams')) {
      for (const size of SIZES) streamResults.push(...(await benchStreams(server, size)));
    }
    if (PARTS.has('tree')) tree = await benchTree(server);
  } finally {
    await server.stop();
  }
}
if (PARTS.has('evaluate')) evaluation = await benchEvaluate();

const capped = (r: StreamResult) =>
  r.requested === r.streams ? count(r.streams) : `${count(r.streams)} (of ${count(r.requested)} asked)`;
if (streamResults.length > 0) {
  console.log(
    `\nStreams per relay process: flag toggled on the server → patch received on every stream on the relay ` +
      `(ms; the floors: broadcast answered → received). ${ROUNDS} timed changes after one untimed, the three taking turns. ` +
      'Upstream p50: the same on one stream of the server itself, the hop the relay waits for.\n',
  );
  console.log(
    '| target | streams | upstream p50 ms | p50 ms | p99 ms | max ms | dropped | RSS per stream | other processes |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of streamResults) {
    console.log(
      `| ${r.label} | ${capped(r)} | ${fmt(r.upstreamP50)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.dropped} | ` +
        `${fmt(r.rssPerStreamKb)} KB | ${fmt(r.otherCpus, 2)} CPUs |`,
    );
  }
  console.log('');
  for (const size of SIZES) {
    const of = (label: string) => streamResults.find((r) => r.label === label && r.requested === size);
    const [floor, relay, writeFirst] = [of(FLOOR_ANSWER_FIRST), of('relay'), of(FLOOR_WRITE_FIRST)];
    if (!floor || !relay || !writeFirst) continue;
    const ratio = relay.p99 / floor.p99;
    console.log(
      `${count(relay.streams)} streams: relay p99 / floor p99 = ${fmt(ratio, 2)}× (target ≤ 1.25×: ` +
        `${ratio <= 1.25 ? 'met' : 'not met'}; against the floor that writes first ` +
        `${fmt(relay.p99 / writeFirst.p99, 2)}×); relay ${fmt(relay.rssPerStreamKb)} KB per stream ` +
        `(target ≤ 13 KB: ${relay.rssPerStreamKb <= 13 ? 'met' : 'not met'}), floor ` +
        `${fmt(floor.rssPerStreamKb)} and ${fmt(writeFirst.rssPerStreamKb)} KB`,
    );
  }
  if (streamResults.some((r) => r.requested !== r.streams)) {
    console.log(
      `\nOne process may hold ${count(FD_LIMIT)} open files here (hard limit): streams beyond ` +
        `${count(SOCKETS_PER_PROCESS)} per serving process are not measured.`,
    );
  }
}
if (tree) {
  const r = tree.result;
  console.log(
    '\nTree: server → 2 relays → streams on each; flag toggled on the server → patch on every stream (ms)\n',
  );
  console.log(
    '| tree | SDK streams | upstream p50 ms | p50 ms | p99 ms | max ms | dropped | relays RSS per stream | streams on the server | other processes |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| ${r.label} | ${capped(r)} | ${fmt(r.upstreamP50)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.dropped} | ` +
      `${fmt(r.rssPerStreamKb)} KB | ${tree.serverStreams} | ${fmt(r.otherCpus, 2)} CPUs |`,
  );
}
if (evaluation) {
  const e = evaluation;
  console.log(
    `\nEvaluation on one relay process: ${e.flags} clientSide flags, ${SEGMENTS} segments, /sdk/v1/flags ` +
      `${fmt(e.payloadBytes / 1000)} kB; ${e.pinned}; ${CONNECTIONS} keep-alive connections; ` +
      `${WARMUP_SECONDS} s warm-up, ${SECONDS} s timed. The evaluation cache holds at most ` +
      `${count(e.cacheEntries)} answers of this size: ${count(CONTEXTS)} contexts cycled in order ` +
      `${CONTEXTS > e.cacheEntries ? 'never hit it' : 'all fit in it (BENCH_CONTEXTS is too small to measure evaluation)'}.\n`,
  );
  console.log(
    '| scenario | requests/s | per relay CPU-second | relay CPUs busy | load CPUs busy | other processes | p50 ms | p99 ms | p99.9 ms | answer bytes | failed |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of e.results) {
    console.log(
      `| ${r.label} | ${fmt(r.requestsPerSecond, 0)} | ${fmt(r.perRelayCpuSecond, 0)} | ${fmt(r.relayCpus, 2)} | ` +
        `${fmt(r.loadCpus, 2)} | ${fmt(r.otherCpus, 2)} CPUs | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ` +
        `${fmt(r.p999, 2)} | ${count(r.responseBytes)} | ${r.failed} |`,
    );
  }
  console.log(
    `| Unleash Edge (published), 100 kB of flags | | ≈ ${count(UNLEASH_EDGE_PER_CPU)} per CPU | | | | | | | | |`,
  );
}
