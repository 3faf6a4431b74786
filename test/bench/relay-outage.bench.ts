/**
 * The relay outage drill: two relays in front of many real Node SDK clients (streaming, each with a
 * context of its own, half on each relay, in several child processes); the link between the relays
 * and the server is cut for a while and one relay is restarted during the cut. Every SDK must keep
 * serving the flag `kill-switch` as it was (on), and, once the link is back, serve the change made on
 * the server meanwhile (off) within seconds — with the server holding one stream per relay all along.
 *
 * Every party is a process of its own on loopback: the server (SQLite file), the two relays
 * (`ringflag relay`, each with a data directory), the client processes; the link is a TCP proxy in
 * this process that can be cut (every connection through it destroyed, its port closed: connection
 * refused) and restored on the same port.
 *
 *   pnpm bench:relay-outage
 *   BENCH_SDKS=20000  BENCH_OUTAGE_SECONDS=60  BENCH_SDKS_PER_PROCESS=2500
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RelayProcess, startRelayProcess } from '../support/relay-process.js';
import {
  AdminClient,
  BENCH_SERVER_ENV,
  freePort,
  type RingflagProcess,
  startRingflagProcess,
} from '../support/ringflag-process.js';
import { message, now, percentile, sleep } from './measure.js';

const SDKS = Number(process.env.BENCH_SDKS ?? 20_000);
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_SECONDS ?? 60);
const PER_PROCESS = Number(process.env.BENCH_SDKS_PER_PROCESS ?? 2_500);
/** How long the SDKs get to serve the change after the link is back before the run gives up on them. */
const CONVERGE_TIMEOUT_MS = 60_000;
/** How long any awaited condition (a relay's state, the streams coming back) may take. */
const WAIT_MS = 120_000;
const ENV = 'development';
const FLAG = 'kill-switch';
const here = fileURLToPath(new URL('.', import.meta.url));

/** What a client process reports (see reconnect-clients.ts). */
interface ClientResult {
  offAt: (number | null)[];
  errorsAt: number[];
  errorsWhy: string[];
  heldChecks: number;
  heldWrong: { index: number; at: number; served: string }[];
  loopDelayP99Ms: number;
  /** The longest the client process's event loop ran late. */
  loopDelayMaxMs: number;
}

/**
 * The link between the relays and the server: a TCP proxy on a port of its own. `cut()` destroys
 * every connection through it and closes its port (new connections are refused); `restore()` listens
 * on the same port again.
 */
class Link {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  static async open(target: number): Promise<Link> {
    const link = new Link(await freePort(), target);
    await link.restore();
    return link;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  restore(): Promise<void> {
    const server = net.createServer((downstream) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const socket of [downstream, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          downstream.destroy();
          upstream.destroy();
        });
      }
      downstream.pipe(upstream);
      upstream.pipe(downstream);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/** Sums a metric's samples over its labels in a `/metrics` text, or NaN when it does not answer. */
async function metricSum(base: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    let sum = 0;
    for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm')))
      sum += Number(match[1]);
    return sum;
  } catch {
    return Number.NaN;
  }
}

interface Readiness {
  status: number;
  environments: { connected: boolean; staleSeconds: number; revision: number | null }[];
}

/** A relay's `/readyz`, or undefined when it does not answer. */
async function readyz(url: string): Promise<Readiness | undefined> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as Omit<Readiness, 'status'>;
    return { status: response.status, environments: body.environments };
  } catch {
    return undefined;
  }
}

/** Resolves with the time `condition` first held, probing every `everyMs`; throws after {@link WAIT_MS}. */
async function until(what: string, condition: () => Promise<boolean>, everyMs = 50): Promise<number> {
  const deadline = now() + WAIT_MS;
  for (;;) {
    if (await condition()) return now();
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Every environment of the relay at `url` reports `connected` as given. */
const relayConnected = (url: string, connected: boolean) => async () => {
  const state = await readyz(url);
  return (
    state !== undefined &&
    state.environments.length > 0 &&
    state.environments.every((environment) => environment.connected === connected)
  );
};

/** The value of flag `kill-switch` in the payload a relay serves to SDKs (`/sdk/v1/flags`). */
async function servedConfig(url: string, key: string): Promise<boolean | undefined> {
  const response = await fetch(`${url}/sdk/v1/flags`, { headers: { authorization: key } });
  const body = (await response.json()) as { flags?: Record<string, { enabled?: boolean }> };
  return body.flags?.[FLAG]?.enabled;
}

/** CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`, or NaN when it is gone. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The relay process (`cli.ts relay`, not the `ringflag` command that started it) using `dataDir`. */
function relayPid(dataDir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(dataDir) && args.some((arg) => arg.endsWith('cli.ts'))) return Number(entry);
    } catch {}
  }
  return undefined;
}

const seconds = (ms: number | undefined) =>
  ms === undefined || !Number.isFinite(ms) ? 'n/a' : `${(ms / 1000).toFixed(2)} s`;

const server: RingflagProcess = await startRingflagProcess({ env: BENCH_SERVER_ENV });
const dataRoot = mkdtempSync(join(tmpdir(), 'ringflag-relay-outage-'));
const relays: RelayProcess[] = [];
const children: { child: ChildProcess; relay: number; count: number }[] = [];
let link: Link | undefined;
try {
  const admin = await AdminClient.login(server.base);
  await admin.request('POST', '/api/v1/flags', { key: FLAG, kind: 'boolean', clientSide: true });
  await admin.putConfig(FLAG, ENV, { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } });
  const key = await admin.createSdkKey(ENV, 'server');
  link = await Link.open(server.port);
  const relayOptions = (index: number) => ({
    upstream: link?.url as string,
    sdkKeys: [key],
    dataDir: join(dataRoot, `relay-${index + 1}`),
    // The SDKs all come from 127.0.0.1 with one key: the per-address and per-key limits are lifted.
    env: BENCH_SERVER_ENV,
  });
  // Both started before either failure is thrown, so that the other one is stopped at the end too.
  const started = await Promise.allSettled([0, 1].map((index) => startRelayProcess(relayOptions(index))));
  for (const outcome of started) if (outcome.status === 'fulfilled') relays.push(outcome.value);
  const refused = started.find((outcome) => outcome.status === 'rejected');
  if (refused) throw refused.reason;
  for (const relay of relays)
    await until('a relay to be ready', async () => (await readyz(relay.url))?.status === 200);

  // Half of the SDKs on each relay, in processes of at most PER_PROCESS clients.
  const perRelay = [Math.ceil(SDKS / 2), Math.floor(SDKS / 2)];
  const forkedAt = now();
  perRelay.forEach((total, relay) => {
    const processes = Math.ceil(total / PER_PROCESS);
    for (let p = 0; p < processes; p++) {
      const count = Math.floor(total / processes) + (p < total % processes ? 1 : 0);
      const child = fork(
        join(here, 'reconnect-clients.ts'),
        ['node', String(count), (relays[relay] as RelayProcess).url, key, 'new'],
        { execArgv: ['--conditions=ringflag-source', '--import', 'tsx'], stdio: 'inherit' },
      );
      children.push({ child, relay, count });
    }
  });
  const connected = await Promise.all(
    children.map(({ child }) => message<{ count: number; failed: number }>(child, 'connected', WAIT_MS * 2)),
  );
  const connectMs = now() - forkedAt;
  const servingOn = connected.reduce((sum, c) => sum + c.count, 0);
  const relayStreams = await Promise.all(
    relays.map((relay) => metricSum(relay.url, 'ringflag_sse_connections')),
  );
  const serverStreamsBefore = await metricSum(server.base, 'ringflag_sse_connections');
  process.stdout.write(
    `  ${servingOn}/${SDKS} SDKs serve ${FLAG} on after ${seconds(connectMs)}; relays' streams ${relayStreams.join(' + ')}; ` +
      `server's SDK streams ${serverStreamsBefore}\n`,
  );
  if (servingOn < SDKS) throw new Error('not every SDK serves the flag on: the drill needs them all');

  /** CPU seconds of each party so far: server, relay 1, relay 2, relay 1's client processes, relay 2's. */
  const cpu = () => [
    cpuSeconds(server.pid),
    cpuSeconds(relayPid(relayOptions(0).dataDir)),
    cpuSeconds(relayPid(relayOptions(1).dataDir)),
    ...[0, 1].map((relay) =>
      children.filter((c) => c.relay === relay).reduce((sum, { child }) => sum + cpuSeconds(child.pid), 0),
    ),
  ];

  // The cut.
  const cpuAtCut = cpu();
  for (const { child } of children) {
    child.send({ type: 'stopped' });
    child.send({ type: 'hold' });
  }
  await link.cut();
  const cutAt = now();
  const since = (at: number) => at - cutAt;
  const disconnectedAt = await Promise.all(
    relays.map((relay) => until('a relay to report the upstream away', relayConnected(relay.url, false))),
  );
  const serverStreamsDuring = await metricSum(server.base, 'ringflag_sse_connections');
  await admin.request('POST', `/api/v1/flags/${FLAG}/environments/${ENV}/toggle`, { enabled: false });
  const toggledAt = now();
  process.stdout.write(
    `  link cut; both relays report the upstream away; ${FLAG} turned off on the server\n`,
  );

  const first = relays[0] as RelayProcess;
  await first.stop();
  const stoppedAt = now();
  // When relay 1 last heard from the server, as it wrote it on the way out.
  const stateDir = relayOptions(0).dataDir;
  const lastHeardAt = Date.parse(
    (
      JSON.parse(readFileSync(join(stateDir, readdirSync(stateDir)[0] as string), 'utf8')) as {
        confirmedAt: string;
      }
    ).confirmedAt,
  );
  relays[0] = await first.restart();
  const restarted = relays[0];
  const listeningAt = now();
  const readyAt = await until(
    'relay 1 to be ready again',
    async () => (await readyz(restarted.url))?.status === 200,
  );
  const afterRestart = await readyz(restarted.url);
  const persistedOn = await servedConfig(restarted.url, key);
  const firstRelaySdks = perRelay[0] as number;
  process.stdout.write(
    `  relay 1 restarted: ready ${seconds(readyAt - stoppedAt)} after its exit, serving ${FLAG} ` +
      `${persistedOn ? 'on' : 'off'} (stale ${afterRestart?.environments[0]?.staleSeconds.toFixed(1)} s)\n`,
  );
  // Its SDKs come back to it, while the link stays cut or after: its streams, as it counts them (every 250 ms).
  const cpuRelay1Started = cpuSeconds(relayPid(relayOptions(0).dataDir));
  let streamsBackAt = Number.NaN;
  /** Relay 1's streams after it was ready: [ms after ready, streams]. */
  const streamsCurve: [number, number][] = [];
  /** How long relay 1 took to answer each of those `/metrics` requests (its own event loop's lateness, roughly). */
  const relay1AnswerMs: number[] = [];
  const streamsBack = until(
    "relay 1's SDKs to reconnect to it",
    async () => {
      const asked = now();
      const streams = await metricSum(restarted.url, 'ringflag_sse_connections');
      relay1AnswerMs.push(now() - asked);
      streamsCurve.push([now() - readyAt, streams]);
      return streams >= firstRelaySdks;
    },
    250,
  ).then(
    (at) => {
      streamsBackAt = at;
    },
    // Not all back within the wait: the time stays unknown (n/a).
    () => {},
  );
  const restoreDue = cutAt + OUTAGE_S * 1000;
  if (now() > restoreDue)
    process.stdout.write(`  (the cut lasts longer than ${OUTAGE_S} s: the restart took longer)\n`);
  await sleep(Math.max(0, restoreDue - now()));
  const backBeforeRestore = !Number.isNaN(streamsBackAt);

  // The link is back.
  const cpuAtRestore = cpu();
  await link.restore();
  const restoreAt = now();
  const results = children.map(({ child }) => {
    // A busy client process answers late: its timers and messages wait for its event loop.
    const result = Promise.race([
      message<ClientResult>(child, 'result', CONVERGE_TIMEOUT_MS + 180_000),
      new Promise<never>((_, reject) =>
        child.once('exit', (code, signal) =>
          reject(new Error(`a client process exited (${code ?? signal}) before it reported`)),
        ),
      ),
    ]);
    child.send({ type: 'collect', timeoutMs: CONVERGE_TIMEOUT_MS });
    return result;
  });
  const [reconnectedAt, changedAt] = await Promise.all([
    Promise.all(
      relays.map((relay) => until('a relay to report the upstream back', relayConnected(relay.url, true))),
    ),
    Promise.all(
      relays.map((relay) =>
        until('a relay to serve the change', async () => (await servedConfig(relay.url, key)) === false),
      ),
    ),
  ]);
  const reports = await Promise.all(results);
  await streamsBack;
  const cpuAtEnd = cpu();
  const endAt = now();
  const serverStreamsAfter = await metricSum(server.base, 'ringflag_sse_connections');

  const rows = [0, 1].map((relay) => {
    const mine = reports.filter((_, i) => children[i]?.relay === relay);
    const offAt = mine.flatMap((r) => r.offAt);
    const times = offAt
      .filter((t): t is number => t !== null && t >= restoreAt)
      .map((t) => t - restoreAt)
      .sort((a, b) => a - b);
    const early = offAt.filter((t) => t !== null && t < restoreAt).length;
    const held = mine.flatMap((r) => r.heldWrong);
    const errorsDuring = mine.flatMap((r) => r.errorsAt.filter((t) => t >= cutAt && t < restoreAt)).length;
    const errorsAfter = mine.flatMap((r) => r.errorsAt.filter((t) => t >= restoreAt)).length;
    // What the errors said, with the SDK's reconnect delays left out so that alike errors count together.
    const why = new Map<string, number>();
    for (const r of mine)
      r.errorsAt.forEach((t, e) => {
        const text = (r.errorsWhy[e] ?? '').replace(/\d+ ms/g, 'N ms');
        if (t >= cutAt) why.set(text, (why.get(text) ?? 0) + 1);
      });
    return {
      relay,
      sdks: perRelay[relay] as number,
      times,
      early,
      held,
      heldChecks: Math.min(...mine.map((r) => r.heldChecks)),
      errorsDuring,
      errorsAfter,
      why: [...why].sort((a, b) => b[1] - a[1]),
      loopDelayP99Ms: Math.max(...mine.map((r) => r.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(...mine.map((r) => r.loopDelayMaxMs)),
    };
  });

  console.log(
    `\nRelay outage drill: ${SDKS} Node SDK clients (streaming, one context each) on two relays ` +
      `(${perRelay.join(' + ')}, ${children.length} client processes); link to the server cut ` +
      `${seconds(restoreAt - cutAt)}; relay 1 restarted during the cut; ${FLAG} turned off on the server during the cut\n`,
  );
  console.log(
    '| relay | SDKs | wrong or no value during the cut | relay: upstream back | relay serves off | SDKs serving off | restore → off p50 | p90 | p99 | max | not within 60 s | errors reported during the cut | after restore |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.relay === 0 ? '1 (restarted)' : '2'} | ${r.sdks} | ${r.held.length + r.early} | ` +
        `${seconds((reconnectedAt[r.relay] as number) - restoreAt)} | ${seconds((changedAt[r.relay] as number) - restoreAt)} | ${r.times.length}/${r.sdks} | ` +
        `${seconds(percentile(r.times, 50))} | ${seconds(percentile(r.times, 90))} | ${seconds(percentile(r.times, 99))} | ` +
        `${seconds(r.times.at(-1))} | ${r.sdks - r.times.length} | ${r.errorsDuring} | ${r.errorsAfter} |`,
    );
  }
  const all = rows.flatMap((r) => r.times).sort((a, b) => a - b);
  console.log(
    `| all | ${SDKS} | ${rows.reduce((s, r) => s + r.held.length + r.early, 0)} | | | ${all.length}/${SDKS} | ` +
      `${seconds(percentile(all, 50))} | ${seconds(percentile(all, 90))} | ${seconds(percentile(all, 99))} | ` +
      `${seconds(all.at(-1))} | ${SDKS - all.length} | ${rows.reduce((s, r) => s + r.errorsDuring, 0)} | ` +
      `${rows.reduce((s, r) => s + r.errorsAfter, 0)} |`,
  );
  console.log('');
  console.log(
    `Server's SDK streams (ringflag_sse_connections): ${serverStreamsBefore} before the cut, ${serverStreamsDuring} during, ` +
      `${serverStreamsAfter} after`,
  );
  console.log(
    `First connect of all ${SDKS} SDKs through the relays: ${seconds(connectMs)} (client processes started included)`,
  );
  console.log(
    `Timeline from the cut: relays report the upstream away at ${disconnectedAt.map((t) => seconds(since(t))).join(' and ')}; ` +
      `${FLAG} off on the server at ${seconds(since(toggledAt))}; relay 1 exited at ${seconds(since(stoppedAt))} ` +
      `(it had last heard from the server ${seconds(cutAt - lastHeardAt)} before the cut), ` +
      `listening again at ${seconds(since(listeningAt))}, ready at ${seconds(since(readyAt))} ` +
      `(serving ${FLAG} ${persistedOn ? 'on' : 'off'} from its data directory, stale ${afterRestart?.environments[0]?.staleSeconds.toFixed(1)} s), ` +
      `all its SDKs streaming from it again at ${seconds(since(streamsBackAt))}` +
      `${backBeforeRestore ? '' : ' (after the restore)'}; link restored at ${seconds(since(restoreAt))}`,
  );
  // The last sample of every fifth second.
  const curve: string[] = [];
  for (let second = 5; second <= 5 * Math.ceil((streamsCurve.at(-1)?.[0] ?? 0) / 5000); second += 5) {
    const sample = streamsCurve.filter(([at]) => at < second * 1000 && at >= (second - 5) * 1000).at(-1);
    if (sample) curve.push(`${(sample[0] / 1000).toFixed(0)} s: ${sample[1]}`);
  }
  console.log(`Relay 1's streams after it was ready again (of ${firstRelaySdks}): ${curve.join(', ')}`);
  const answers = relay1AnswerMs.sort((a, b) => a - b);
  console.log(
    `Relay 1's /metrics answer time meanwhile: p50 ${answers.length ? percentile(answers, 50).toFixed(0) : 'n/a'} ms, ` +
      `max ${answers.at(-1)?.toFixed(0) ?? 'n/a'} ms`,
  );
  const cutS = (restoreAt - cutAt) / 1000;
  const afterS = (endAt - restoreAt) / 1000;
  console.log(
    `\nCPU used (seconds; ${cutS.toFixed(0)} s of cut, then ${afterS.toFixed(0)} s from the restore until every SDK reported; 2 CPUs):\n`,
  );
  console.log('| party | during the cut | after the restore |');
  console.log('| --- | ---: | ---: |');
  const parties = [
    'server',
    'relay 1 (the restarted process, its start included)',
    'relay 2',
    "relay 1's client processes",
    "relay 2's client processes",
  ];
  parties.forEach((party, i) => {
    const during = (cpuAtRestore[i] as number) - (i === 1 ? 0 : (cpuAtCut[i] as number));
    const after = (cpuAtEnd[i] as number) - (cpuAtRestore[i] as number);
    console.log(`| ${party} | ${during.toFixed(1)} | ${after.toFixed(1)} |`);
  });
  console.log(`(relay 1's start took ${cpuRelay1Started.toFixed(1)} s of it, before it was ready)\n`);
  for (const r of rows) {
    console.log(
      `Relay ${r.relay + 1}'s SDKs: checked ${r.heldChecks}+ times each during the cut; client processes' event-loop delay p99 ${r.loopDelayP99Ms.toFixed(0)} ms, max ${r.loopDelayMaxMs.toFixed(0)} ms`,
    );
    for (const { index, served } of r.held.slice(0, 5))
      console.log(`  SDK ${index} served ${served} during the cut`);
    for (const [why, count] of r.why.slice(0, 5)) console.log(`  reported ×${count}: ${why}`);
  }
  const failed =
    rows.some((r) => r.held.length + r.early > 0 || r.times.length < r.sdks) ||
    serverStreamsBefore !== 2 ||
    serverStreamsAfter !== 2;
  if (failed) {
    console.log(
      '\nThe drill failed: see the table (every SDK must serve throughout and converge; the server must hold 2 streams).',
    );
    process.exitCode = 1;
  }
} finally {
  await Promise.all(
    children.map(
      ({ child }) =>
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
  await Promise.all(relays.map((relay) => relay.stop().catch(() => relay.kill())));
  await link?.cut();
  await server.stop();
  rmSync(dirname(server.dbPath), { recursive: true, force: true });
  rmSync(dataRoot, { recursive: true, force: true });
}
