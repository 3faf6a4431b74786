/**
 * Browser stream fan-out benchmark: N open `GET /client/v1/stream` connections, each with a
 * context of its own (`user-<i>`), 20 clientSide flags. A toggle through the admin API changes a value
 * for every context, so the server re-evaluates N contexts and writes N patches. Reported: the time
 * from the admin API's response until each stream has its patch (p50/p99/max), and the server's RSS
 * per stream. The raw SSE clients run in another process (sse-clients.ts); loopback only.
 *
 *   pnpm bench:client-fanout   (BENCH_CLIENT_STREAMS=1000,10000 BENCH_ROUNDS=5)
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startClientBenchServer } from './client-setup.js';
import { message, now, percentile, rssKb, sleep } from './measure.js';

const SIZES = (process.env.BENCH_CLIENT_STREAMS ?? '10000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const here = fileURLToPath(new URL('.', import.meta.url));

interface Result {
  streams: number;
  connected: number;
  p50: number;
  p99: number;
  max: number;
  missing: number;
  rssPerStreamKb: number;
}

async function measure(streams: number): Promise<Result> {
  const server = await startClientBenchServer();
  try {
    await sleep(500);
    const rssBefore = rssKb(server.pid);
    const url = `${server.base}/client/v1/stream?key=${encodeURIComponent(server.clientKey)}&context={context}`;
    const clients = fork(join(here, 'sse-clients.ts'), [url, String(streams), ''], {
      execArgv: ['--conditions=ringflag-source', '--import', 'tsx'],
      stdio: 'inherit',
    });
    try {
      const connected = await message<{ count: number; failed: number }>(clients, 'connected');
      await sleep(1000);
      const rssAfter = rssKb(server.pid);
      const latencies: number[] = [];
      let missing = connected.failed;
      let last = 0;
      let enabled = false;
      for (let round = 0; round < ROUNDS; round++) {
        const received = message<{ revision: number; times: number[]; missing: number }>(clients, 'received');
        enabled = !enabled;
        await server.toggle(enabled);
        const answered = now();
        clients.send({ type: 'await', after: last, timeoutMs: 10_000 });
        const result = await received;
        last = result.revision;
        missing += result.missing;
        for (const t of result.times) latencies.push(t - answered);
        await sleep(300);
      }
      latencies.sort((a, b) => a - b);
      return {
        streams,
        connected: connected.count,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1] ?? Number.NaN,
        missing,
        rssPerStreamKb: (rssAfter - rssBefore) / streams,
      };
    } finally {
      clients.kill();
    }
  } finally {
    await server.stop();
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const results: Result[] = [];
for (const streams of SIZES) results.push(await measure(streams));
console.log(
  `\nBrowser stream fan-out: admin API response → patch received on every stream (ms), ` +
    `20 clientSide flags, one distinct context per stream, ${ROUNDS} toggles\n`,
);
console.log(
  '| streams (distinct contexts) | connected | p50 ms | p99 ms | max ms | missed patches | server RSS per stream |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.streams} | ${r.connected} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.missing} | ${fmt(r.rssPerStreamKb)} KB |`,
  );
}
