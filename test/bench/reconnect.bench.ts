/**
 * Reconnect benchmark: the time to mitigate after an outage. N real Node SDK clients and N real
 * browser SDK clients (each with a context of its own, in two child processes) follow the flag
 * `kill-switch` of a real server (SQLite file). The server is stopped, stays down for a while, and
 * is started again on the same port and database; the kill switch is flipped as soon as `/healthz`
 * answers. Reported per SDK kind: the time from "server ready" and from the flip until each client
 * serves the flag off (p50/p90/p99/max), how often the clients tried while the server was down, the
 * errors the clients reported after it was back (a busy client process reports some of its earlier
 * failures late: their causes are listed), and what the server refused; then how fast the server's
 * open streams grew after ready, and how late the client processes' event loops ran (a saturated
 * client process makes its clients late, which a real fleet, one process each, would not be). Each
 * run is made with the SDKs' default reconnect delays and with the delays they had before (1 s
 * doubling to 30 s, passed explicitly). Loopback only.
 *
 *   pnpm bench:reconnect
 *   BENCH_RECONNECT_CLIENTS=1000 (per SDK kind)  BENCH_RECONNECT_DOWNTIME_S=60
 *   BENCH_RECONNECT_MODES=new,old  (new: the defaults; old: the delays before, for comparison)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdminClient,
  BENCH_SERVER_ENV,
  type RingflagProcess,
  startRingflagProcess,
} from '../support/ringflag-process.js';
import { message, now, percentile, sleep } from './measure.js';

const CLIENTS = Number(process.env.BENCH_RECONNECT_CLIENTS ?? 1000);
const DOWNTIME_S = Number(process.env.BENCH_RECONNECT_DOWNTIME_S ?? 60);
const MODES = (process.env.BENCH_RECONNECT_MODES ?? 'new,old').split(',') as ('new' | 'old')[];
/** How long the clients get to serve the kill switch after the flip before the run gives up on them. */
const COLLECT_TIMEOUT_MS = 120_000;
const ENV = 'development';
const FLAG = 'kill-switch';
const KINDS = ['node', 'browser'] as const;
const here = fileURLToPath(new URL('.', import.meta.url));

interface KindResult {
  kind: (typeof KINDS)[number];
  clients: number;
  connected: number;
  converged: number;
  fromReady: number[];
  fromFlip: number[];
  /** Failed attempts per client per minute while the server was down. */
  attemptsPerMinute: number;
  failedAfterReady: number;
  /** The failures after ready by what they said, most frequent first: count, first and last (ms after ready). */
  failedAfterReadyWhy: [string, { count: number; first: number; last: number }][];
  /** p99 of the client process's event-loop delay from the stop to the end. */
  loopDelayP99Ms: number;
}

/** What a client process reports: per client when it served off, and every error's time and message. */
interface ClientResult {
  offAt: (number | null)[];
  errorsAt: number[];
  errorsWhy: string[];
  loopDelayP99Ms: number;
}

interface RunResult {
  mode: 'new' | 'old';
  /** From starting the client processes until every client served the flag (the server's pace at connecting them all). */
  initialConnectMs: number;
  /** From the server's exit to its first `/healthz` answer after the restart. */
  downMs: number;
  readyToFlipMs: number;
  kinds: KindResult[];
  /** Streams and requests the restarted server refused, by metric and reason. */
  refused: Record<string, number>;
  /** Connection attempts the kernel dropped on full listen queues from the stop to the end. */
  overflows: number;
  /** The server's open streams over time after ready: [ms after ready, streams]. */
  streamsAfterReady: [number, number][];
}

/** The server's open streams (`ringflag_open_streams` of `/metrics`), or NaN when it does not answer. */
async function openStreams(base: string): Promise<number> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    return Number(/^ringflag_open_streams (\d+)/m.exec(text)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** Sums the refusal counters of `/metrics` (connection capacity, public-surface rejections). */
async function refusals(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match =
      /^(ringflag_connections_refused_total|ringflag_public_requests_rejected_total)\{(.*)\} (\d+)/.exec(
        line,
      );
    if (match) counts[`${match[1]}{${match[2]}}`] = Number(match[3]);
  }
  return counts;
}

/**
 * The kernel's count of connection attempts dropped because a listen queue was full (Linux
 * `TcpExt: ListenOverflows`; machine-wide, so other work on the machine counts too), or NaN.
 */
function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const names = lines.find((line) => line.startsWith('TcpExt:'))?.split(' ') ?? [];
    const values = lines.filter((line) => line.startsWith('TcpExt:'))[1]?.split(' ') ?? [];
    return Number(values[names.indexOf('ListenOverflows')] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** Starts the server again on its port and database; "ready" is the first `/healthz` 200, probed every 5 ms. */
async function restart(server: RingflagProcess): Promise<{ server: RingflagProcess; readyAt: number }> {
  const started = server.restart();
  let failure: unknown;
  started.catch((error: unknown) => {
    failure = error ?? new Error('the server did not start');
  });
  let readyAt = Number.NaN;
  while (Number.isNaN(readyAt)) {
    if (failure !== undefined) throw failure;
    try {
      if ((await fetch(`${server.base}/healthz`)).ok) readyAt = now();
    } catch {}
    if (Number.isNaN(readyAt)) await sleep(5);
  }
  return { server: await started, readyAt };
}

async function run(mode: 'new' | 'old'): Promise<RunResult> {
  let server = await startRingflagProcess({ env: BENCH_SERVER_ENV });
  const children: ChildProcess[] = [];
  try {
    let admin = await AdminClient.login(server.base);
    await admin.request('POST', '/api/v1/flags', { key: FLAG, kind: 'boolean', clientSide: true });
    await admin.putConfig(FLAG, ENV, {
      enabled: true,
      offVariation: 'off',
      fallthrough: { variation: 'on' },
    });
    const keys = {
      node: await admin.createSdkKey(ENV, 'server'),
      browser: await admin.createSdkKey(ENV, 'client'),
    };
    const forkedAt = now();
    for (const kind of KINDS) {
      const child = fork(
        join(here, 'reconnect-clients.ts'),
        [kind, String(CLIENTS), server.base, keys[kind], mode],
        {
          execArgv: ['--conditions=ringflag-source', '--import', 'tsx'],
          stdio: 'inherit',
        },
      );
      children.push(child);
    }
    const connected = await Promise.all(
      children.map((child) => message<{ count: number; failed: number }>(child, 'connected')),
    );
    const initialConnectMs = now() - forkedAt;
    await sleep(1000);

    await server.stop();
    const downAt = now();
    const overflowsBefore = listenOverflows();
    for (const child of children) child.send({ type: 'stopped' });
    process.stdout.write(`  [${mode}] server stopped; down for ${DOWNTIME_S} s …\n`);
    await sleep(DOWNTIME_S * 1000);
    const restarted = await restart(server);
    server = restarted.server;
    const { readyAt } = restarted;
    try {
      await admin.request('POST', `/api/v1/flags/${FLAG}/environments/${ENV}/toggle`, { enabled: false });
    } catch {
      // The session did not survive the restart: sign in again.
      admin = await AdminClient.login(server.base);
      await admin.request('POST', `/api/v1/flags/${FLAG}/environments/${ENV}/toggle`, { enabled: false });
    }
    const flipAt = now();
    // How fast the clients come back, as the server counts them (every 250 ms until the results are in).
    const streamsAfterReady: [number, number][] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = now();
        const streams = await openStreams(server.base);
        // Stamped when the answer came: a busy server answers late.
        streamsAfterReady.push([now() - readyAt, streams]);
        await sleep(Math.max(0, 250 - (now() - at)));
      }
    })();
    const results = await Promise.all(
      children.map((child) => {
        const result = message<ClientResult>(child, 'result', COLLECT_TIMEOUT_MS + 10_000);
        child.send({ type: 'collect', timeoutMs: COLLECT_TIMEOUT_MS });
        return result;
      }),
    );
    sampling = false;
    await sampler;
    const refused = await refusals(server.base);
    const overflows = listenOverflows() - overflowsBefore;
    const kinds = KINDS.map((kind, i): KindResult => {
      const { offAt, errorsAt, errorsWhy } = results[i] as ClientResult;
      const why = new Map<string, { count: number; first: number; last: number }>();
      errorsAt.forEach((t, e) => {
        if (t < readyAt) return;
        const entry = why.get(errorsWhy[e] ?? '') ?? { count: 0, first: t - readyAt, last: 0 };
        entry.count += 1;
        entry.last = t - readyAt;
        why.set(errorsWhy[e] ?? '', entry);
      });
      const times = offAt.filter((t): t is number => t !== null);
      const whileDown = errorsAt.filter((t) => t >= downAt && t < readyAt).length;
      return {
        kind,
        clients: CLIENTS,
        connected: connected[i]?.count ?? 0,
        converged: times.length,
        fromReady: times.map((t) => t - readyAt).sort((a, b) => a - b),
        fromFlip: times.map((t) => t - flipAt).sort((a, b) => a - b),
        attemptsPerMinute: whileDown / CLIENTS / ((readyAt - downAt) / 60_000),
        failedAfterReady: errorsAt.filter((t) => t >= readyAt).length,
        failedAfterReadyWhy: [...why].sort((a, b) => b[1].count - a[1].count),
        loopDelayP99Ms: (results[i] as ClientResult).loopDelayP99Ms,
      };
    });
    return {
      mode,
      streamsAfterReady,
      initialConnectMs,
      downMs: readyAt - downAt,
      readyToFlipMs: flipAt - readyAt,
      kinds,
      refused,
      overflows,
    };
  } finally {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.send({ type: 'close' });
          }),
      ),
    );
    await server.stop();
    rmSync(dirname(server.dbPath), { recursive: true, force: true });
  }
}

const ms = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : `${(n / 1000).toFixed(2)} s`;
const results: RunResult[] = [];
for (const mode of MODES) results.push(await run(mode));

console.log(
  `\nReconnect after a restart: ${CLIENTS} Node SDK + ${CLIENTS} browser SDK clients (one context each), ` +
    `server down ${DOWNTIME_S} s, kill switch flipped as soon as /healthz answers\n`,
);
console.log(
  '| reconnect delays | SDK | serving before | serving off | ready → off p50 | p90 | p99 | max | flip → off p50 | p99 | failed attempts while down (per client per min) | errors reported after ready |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  const label = r.mode === 'new' ? 'default (≤ 4 s while unreachable)' : 'before (1 s doubling to 30 s)';
  for (const k of r.kinds) {
    console.log(
      `| ${label} | ${k.kind === 'node' ? 'Node' : 'browser'} | ${k.connected}/${k.clients} | ${k.converged}/${k.clients} | ` +
        `${ms(percentile(k.fromReady, 50))} | ${ms(percentile(k.fromReady, 90))} | ${ms(percentile(k.fromReady, 99))} | ` +
        `${ms(k.fromReady.at(-1))} | ${ms(percentile(k.fromFlip, 50))} | ${ms(percentile(k.fromFlip, 99))} | ` +
        `${k.attemptsPerMinute.toFixed(1)} | ${k.failedAfterReady} |`,
    );
  }
}
console.log('');
for (const r of results) {
  const refused = Object.entries(r.refused).filter(([, n]) => n > 0);
  console.log(
    `${r.mode === 'new' ? 'default' : 'before'}: first connect of all ${2 * CLIENTS} clients ${ms(r.initialConnectMs)} ` +
      `(processes started included); down ${(r.downMs / 1000).toFixed(1)} s (exit → ready, start included); ` +
      `flip ${r.readyToFlipMs.toFixed(0)} ms after ready; ` +
      `refused by the restarted server: ${refused.length ? refused.map(([m, n]) => `${m} ${n}`).join(', ') : 'none'}; ` +
      `connection attempts dropped on full listen queues (machine-wide): ${r.overflows}`,
  );
  // The last answer of each second, for the first ten seconds.
  const curve: string[] = [];
  for (let second = 1; second <= 10; second++) {
    const sample = r.streamsAfterReady
      .filter(([at]) => at < second * 1000 && at >= (second - 1) * 1000)
      .at(-1);
    if (sample) curve.push(`${(sample[0] / 1000).toFixed(1)} s: ${sample[1]}`);
  }
  console.log(`  open streams after ready (of ${2 * CLIENTS}): ${curve.join(', ')}`);
  for (const k of r.kinds) {
    console.log(`  ${k.kind} clients' process: event-loop delay p99 ${k.loopDelayP99Ms.toFixed(0)} ms`);
    for (const [why, { count, first, last }] of k.failedAfterReadyWhy.slice(0, 5)) {
      console.log(`  ${k.kind} failed after ready ×${count} (${ms(first)} to ${ms(last)} after): ${why}`);
    }
  }
}
const missed = results.some((r) => r.kinds.some((k) => k.converged < k.clients || k.connected < k.clients));
if (missed) {
  console.log('\nSome clients never connected or never served the kill switch: see the table.');
  process.exitCode = 1;
}
