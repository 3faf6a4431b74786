/**
 * Propagation benchmark: the time from the admin API's response to a flag change until
 * each of N open SDK streams has received the patch, at 1,000 and 10,000 streams; the server's RSS
 * per stream; and, in the same run, a bare node:http broadcaster as the floor. Then admin writes per
 * second through the API (each with its audit event and revision bump).
 *
 * Every party is its own process: the server, the floor, and the raw SSE clients, so the clients'
 * work does not slow the server down and the server's RSS is its own. Loopback only.
 *
 *   pnpm bench:propagation   (BENCH_STREAMS=1000,10000 BENCH_ROUNDS=5 BENCH_WRITE_SECONDS=5)
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminClient, BENCH_SERVER_ENV, startRingflagProcess } from '../support/ringflag-process.js';
import { message, now, percentile, rssKb, sleep } from './measure.js';

const SIZES = (process.env.BENCH_STREAMS ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WRITE_SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 5);
const here = fileURLToPath(new URL('.', import.meta.url));
const tsx = ['--conditions=ringflag-source', '--import', 'tsx'];

interface Result {
  target: string;
  streams: number;
  p50: number;
  p99: number;
  max: number;
  dropped: number;
  rssPerStreamKb: number;
}

/** Opens N streams against `streamUrl`, triggers ROUNDS changes, returns the latency figures. */
async function measure(
  target: string,
  serverPid: number,
  streamUrl: string,
  authorization: string,
  streams: number,
  trigger: () => Promise<void>,
): Promise<Result> {
  await sleep(500);
  const rssBefore = rssKb(serverPid);
  const clients = fork(join(here, 'sse-clients.ts'), [streamUrl, String(streams), authorization], {
    execArgv: tsx,
    stdio: 'inherit',
  });
  const connected = await message<{ count: number; failed: number }>(clients, 'connected');
  await sleep(1000);
  const rssAfter = rssKb(serverPid);
  const latencies: number[] = [];
  let dropped = connected.failed;
  let last = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const received = message<{ revision: number; times: number[]; missing: number }>(clients, 'received');
    await trigger();
    const answered = now();
    clients.send({ type: 'await', after: last, timeoutMs: 10_000 });
    const result = await received;
    last = result.revision;
    dropped += result.missing;
    for (const t of result.times) latencies.push(t - answered);
    await sleep(300);
  }
  clients.kill();
  latencies.sort((a, b) => a - b);
  return {
    target,
    streams,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    dropped,
    rssPerStreamKb: (rssAfter - rssBefore) / streams,
  };
}

async function benchFloor(streams: number): Promise<Result> {
  const floor = fork(join(here, 'floor-server.ts'), [], { execArgv: tsx, stdio: 'inherit' });
  const { port } = await message<{ port: number }>(floor, 'listening');
  const base = `http://127.0.0.1:${port}`;
  try {
    return await measure('node:http floor', floor.pid as number, `${base}/stream`, '', streams, async () => {
      await (await fetch(`${base}/broadcast?bytes=400`, { method: 'POST' })).text();
    });
  } finally {
    floor.kill();
  }
}

interface Ringflag {
  base: string;
  pid: number;
  admin: AdminClient;
  sdkKey: string;
  stop: () => Promise<void>;
}

async function startRingflag(): Promise<Ringflag> {
  const server = await startRingflagProcess({ env: BENCH_SERVER_ENV });
  const admin = await AdminClient.login(server.base);
  await admin.request('POST', '/api/v1/flags', { key: 'bench', name: 'Benchmark flag', kind: 'boolean' });
  const sdkKey = await admin.createSdkKey('development', 'server');
  return {
    base: server.base,
    pid: server.pid,
    admin,
    sdkKey,
    stop: async () => {
      await server.stop();
      rmSync(dirname(server.dbPath), { recursive: true, force: true });
    },
  };
}

const toggle = (rf: Ringflag, enabled: boolean) =>
  rf.admin.request('POST', '/api/v1/flags/bench/environments/development/toggle', { enabled });

async function benchRingflag(streams: number): Promise<Result> {
  const rf = await startRingflag();
  let enabled = false;
  try {
    return await measure('Ringflag', rf.pid, `${rf.base}/sdk/v1/stream`, rf.sdkKey, streams, async () => {
      enabled = !enabled;
      await toggle(rf, enabled);
    });
  } finally {
    await rf.stop();
  }
}

/**
 * Admin writes per second: alternating toggles of one flag (each a transaction with its audit event
 * and revision bump) from another process. wrk (Debian package `wrk`) is the load tool when present:
 * a Node fetch client costs about as much CPU per request as the server does, and on two cores it
 * would measure itself. Without wrk, 8 concurrent fetch loops stand in.
 */
async function benchWrites(): Promise<{
  tool: string;
  writesPerSecond: number;
  p50: number;
  p99: number;
  verified: boolean;
}> {
  const rf = await startRingflag();
  try {
    const path = '/api/v1/flags/bench/environments/development/toggle';
    const wrk = spawnSync('wrk', ['--version']).error === undefined;
    let result: { writesPerSecond: number; p50: number; p99: number };
    if (wrk) {
      const dir = mkdtempSync(join(tmpdir(), 'ringflag-wrk-'));
      const script = join(dir, 'toggle.lua');
      writeFileSync(
        script,
        [
          'local i = 0',
          'wrk.method = "POST"',
          'wrk.headers["content-type"] = "application/json"',
          `wrk.headers["authorization"] = "Bearer ${rf.admin.token}"`,
          'request = function()',
          '  i = i + 1',
          '  local body = (i % 2 == 0) and \'{"enabled":true}\' or \'{"enabled":false}\'',
          `  return wrk.format("POST", "${path}", nil, body)`,
          'end',
          'done = function(summary, latency)',
          '  io.write(string.format("RESULT %d %f %f %f\\n", summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))',
          'end',
        ].join('\n'),
      );
      const run = spawnSync(
        'wrk',
        ['-t1', '-c8', `-d${WRITE_SECONDS}s`, '--latency', '-s', script, rf.base],
        {
          encoding: 'utf8',
        },
      );
      rmSync(dir, { recursive: true, force: true });
      const match = /RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(run.stdout);
      if (!match || /Non-2xx/.test(run.stdout)) throw new Error(`wrk failed:\n${run.stdout}\n${run.stderr}`);
      result = {
        writesPerSecond: Number(match[1]) / Number(match[2]),
        p50: Number(match[3]),
        p99: Number(match[4]),
      };
    } else {
      const latencies: number[] = [];
      const deadline = now() + WRITE_SECONDS * 1000;
      let count = 0;
      const worker = async (id: number) => {
        let enabled = id % 2 === 0;
        while (now() < deadline) {
          enabled = !enabled;
          const started = now();
          await toggle(rf, enabled);
          latencies.push(now() - started);
          count++;
        }
      };
      const started = now();
      await Promise.all(Array.from({ length: 8 }, (_, id) => worker(id)));
      latencies.sort((a, b) => a - b);
      result = {
        writesPerSecond: count / ((now() - started) / 1000),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      };
    }
    const verify = await rf.admin.request<{ ok: boolean }>('GET', '/api/v1/audit/verify');
    return { tool: wrk ? 'wrk, 8 connections' : 'Node fetch, 8 loops', ...result, verified: verify.ok };
  } finally {
    await rf.stop();
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const results: Result[] = [];
for (const streams of SIZES) {
  results.push(await benchFloor(streams));
  results.push(await benchRingflag(streams));
}
console.log('\nPropagation: admin API response → patch received on every open stream (ms)\n');
console.log('| target | streams | p50 ms | p99 ms | max ms | dropped | server RSS per stream |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.target} | ${r.streams} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.dropped} | ${fmt(r.rssPerStreamKb)} KB |`,
  );
}
for (const streams of SIZES) {
  const floor = results.find((r) => r.target !== 'Ringflag' && r.streams === streams);
  const ours = results.find((r) => r.target === 'Ringflag' && r.streams === streams);
  if (floor && ours)
    console.log(`\n${streams} streams: Ringflag p99 / floor p99 = ${(ours.p99 / floor.p99).toFixed(2)}×`);
}
const writes = await benchWrites();
console.log(
  `\nAdmin writes (toggle, ${writes.tool}, ${WRITE_SECONDS} s): ${writes.writesPerSecond.toFixed(0)} writes/s, ` +
    `p50 ${fmt(writes.p50)} ms, p99 ${fmt(writes.p99)} ms; audit chain verifies afterwards: ${writes.verified}`,
);
