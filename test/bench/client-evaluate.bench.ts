/**
 * `POST /client/v1/evaluate` throughput: 20 clientSide flags, 100 distinct contexts whose
 * results are already cached (warm), 32 keep-alive connections from another process. Uses `wrk` when
 * it is installed (Debian: `apt-get install -y wrk`), else a small Node load generator in a child
 * process (client-load-generator.ts), which itself costs a core and so reports less. Loopback only.
 *
 *   pnpm bench:client-evaluate   (BENCH_SECONDS=10 BENCH_LOAD_TOOL=wrk|node)
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startClientBenchServer } from './client-setup.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;
const CONTEXTS = 100;
const here = fileURLToPath(new URL('.', import.meta.url));
const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
const tool = process.env.BENCH_LOAD_TOOL ?? (hasWrk ? 'wrk' : 'node');

interface Result {
  tool: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

const contextOf = (i: number) => ({ key: `user-${i}`, groups: i % 10 === 0 ? ['staff'] : ['beta'] });

function runWrk(url: string, key: string): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'ringflag-wrk-'));
  const script = join(dir, 'evaluate.lua');
  const bodies = Array.from({ length: CONTEXTS }, (_, i) => JSON.stringify({ context: contextOf(i) }));
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      'wrk.headers["Content-Type"] = "application/json"',
      `wrk.headers["Authorization"] = ${JSON.stringify(key)}`,
      `local bodies = { ${bodies.map((body) => JSON.stringify(body)).join(', ')} }`,
      'local n = 0',
      'request = function()',
      '  n = n + 1',
      `  return wrk.format(nil, nil, nil, bodies[(n % ${CONTEXTS}) + 1])`,
      'end',
    ].join('\n'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', script, url]);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', () => {
      rmSync(dir, { recursive: true, force: true });
      const ms = (label: string) => {
        const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
        if (!match) return Number.NaN;
        const value = Number(match[1]);
        return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
      };
      resolve({
        tool: 'wrk -t1 -c32',
        requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
        p50: ms('50%'),
        p99: ms('99%'),
        errors:
          Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0) +
          Number(/Socket errors:.*?(\d+)/.exec(out)?.[1] ?? 0),
      });
    });
  });
}

function runNode(url: string, key: string): Promise<Result> {
  const child: ChildProcess = fork(
    join(here, 'client-load-generator.ts'),
    [url, key, String(CONNECTIONS), String(SECONDS), String(CONTEXTS)],
    { execArgv: ['--import', 'tsx'], stdio: 'inherit' },
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on(
      'message',
      (m: { type: string; requests: number; errors: number; seconds: number; latencies: number[] }) => {
        if (m.type !== 'done') return;
        const sorted = m.latencies.sort((a, b) => a - b);
        const at = (p: number) =>
          sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
        resolve({
          tool: 'node keep-alive x32',
          requestsPerSecond: m.requests / m.seconds,
          p50: at(50),
          p99: at(99),
          errors: m.errors,
        });
      },
    );
  });
}

const server = await startClientBenchServer();
let result: Result;
try {
  const url = `${server.base}/client/v1/evaluate`;
  // Warm the evaluation cache: every context once.
  for (let i = 0; i < CONTEXTS; i++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: server.clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ context: contextOf(i) }),
    });
    const body = (await res.json()) as { flags: Record<string, unknown> };
    if (res.status !== 200 || Object.keys(body.flags).length !== 20)
      throw new Error(`warm-up: ${res.status}`);
  }
  result = tool === 'wrk' ? await runWrk(url, server.clientKey) : await runNode(url, server.clientKey);
} finally {
  await server.stop();
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
console.log(
  `\nPOST /client/v1/evaluate: 20 clientSide flags, ${CONTEXTS} contexts, warm cache, ${CONNECTIONS} keep-alive connections, ${SECONDS} s\n`,
);
console.log('| load tool | requests/s | p50 ms | p99 ms | errors |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(
  `| ${result.tool} | ${fmt(result.requestsPerSecond, 0)} | ${fmt(result.p50, 2)} | ${fmt(result.p99, 2)} | ${result.errors} |`,
);
