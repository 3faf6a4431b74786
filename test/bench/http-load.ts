/**
 * A child process of the server benchmarks that generates HTTP load where wrk is not installed: a few
 * keep-alive connections speaking minimal HTTP/1.1 over raw sockets (no fetch, no http.Agent), so the
 * client costs little CPU next to the server it measures. Each of `connections` workers keeps one
 * request in flight; each request goes to the next target in turn (round-robin over all workers), on
 * that worker's own socket to the target.
 *
 * Driven over IPC: `{ type: 'run', …LoadPlan }` → `{ type: 'done', …LoadResult }`. Worker i sends the
 * bodies `bodies(i)` in rotation: `bodies` is given as a list per worker.
 */
import net from 'node:net';

/** What to send, where, how hard and for how long. */
export interface LoadPlan {
  /** Base URLs (`http://127.0.0.1:port`), used round-robin per request. */
  targets: string[];
  method: string;
  /** Per worker: its path (e.g. its own flag's toggle). */
  paths: string[];
  /** Per worker: the bodies it sends in rotation. */
  bodies: string[][];
  headers: Record<string, string>;
  /** Requests sent before timing starts (not in the latencies, but counted in `sent`). */
  warmupMs: number;
  durationMs: number;
}

/** What a run measured: the timed part is the answers that arrived in it; latencies in ms. */
export interface LoadResult {
  /** 2xx answers in the timed part. */
  ok: number;
  /** 2xx answers over warm-up and timed part together. */
  okTotal: number;
  /** Non-2xx answers or connection errors, anywhere. */
  failed: number;
  /** The first failure, for the message. */
  firstFailure: string;
  seconds: number;
  p50: number;
  p99: number;
  /** The 99.9th percentile. */
  p999: number;
  max: number;
  /** 2xx answers per target (timed part and warm-up). */
  perTarget: number[];
}

interface Reply {
  status: number;
  body: string;
}

/** One keep-alive connection with at most one request in flight. */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  private readonly socket: net.Socket;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    const fail = (error: Error) => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(error);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed')));
  }

  send(request: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Completes the pending request once its whole response is buffered (Content-Length or chunked). */
  private parse(): void {
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd === -1 || !this.pending) return;
    const head = this.buffer.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let body: string;
    let end: number;
    if (length) {
      end = headEnd + 4 + Number(length[1]);
      if (this.buffer.length < end) return;
      body = this.buffer.toString('utf8', headEnd + 4, end);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let at = headEnd + 4;
      for (;;) {
        const lineEnd = this.buffer.indexOf('\r\n', at);
        if (lineEnd === -1) return;
        const size = Number.parseInt(this.buffer.toString('latin1', at, lineEnd), 16);
        if (this.buffer.length < lineEnd + 2 + size + 2) return;
        parts.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      end = at;
      body = Buffer.concat(parts).toString('utf8');
    } else {
      end = headEnd + 4;
      body = '';
    }
    this.buffer = this.buffer.subarray(end);
    const pending = this.pending;
    this.pending = undefined;
    pending.resolve({ status, body });
  }
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

async function run(plan: LoadPlan): Promise<LoadResult> {
  const targets = plan.targets.map((base) => new URL(base));
  const requestOf = (target: URL, path: string, body: string) =>
    Buffer.from(
      `${plan.method} ${path} HTTP/1.1\r\nhost: ${target.host}\r\n` +
        Object.entries(plan.headers)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  const latencies: number[] = [];
  const perTarget = targets.map(() => 0);
  let next = 0;
  let failed = 0;
  let firstFailure = '';
  let okTotal = 0;
  let ok = 0;
  const started = performance.now();
  const timedFrom = started + plan.warmupMs;
  const deadline = timedFrom + plan.durationMs;
  const worker = async (id: number) => {
    const sockets = new Map<number, Connection>();
    const bodies = plan.bodies[id] ?? [''];
    const requests = targets.map((target) =>
      bodies.map((body) => requestOf(target, plan.paths[id] ?? '/', body)),
    );
    let turn = 0;
    try {
      while (performance.now() < deadline) {
        const index = next++ % targets.length;
        let connection = sockets.get(index);
        if (!connection) {
          connection = new Connection(targets[index]!.hostname, Number(targets[index]!.port));
          sockets.set(index, connection);
        }
        const sentAt = performance.now();
        let reply: Reply;
        try {
          reply = await connection.send(requests[index]![turn % bodies.length]!);
        } catch (error) {
          failed++;
          firstFailure ||= `${plan.targets[index]}: ${String(error)}`;
          connection.close();
          sockets.delete(index);
          continue;
        }
        const answeredAt = performance.now();
        if (reply.status < 200 || reply.status > 299) {
          failed++;
          firstFailure ||= `${plan.targets[index]}: ${reply.status} ${reply.body.slice(0, 300)}`;
          continue;
        }
        turn++;
        okTotal++;
        perTarget[index]!++;
        if (answeredAt >= timedFrom && answeredAt <= deadline) {
          ok++;
          latencies.push(answeredAt - sentAt);
        }
      }
    } finally {
      for (const connection of sockets.values()) connection.close();
    }
  };
  await Promise.all(plan.paths.map((_, id) => worker(id)));
  const sorted = Float64Array.from(latencies).sort();
  return {
    ok,
    okTotal,
    failed,
    firstFailure,
    seconds: plan.durationMs / 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
    perTarget,
  };
}

process.on('message', (message: { type: string } & LoadPlan) => {
  if (message.type !== 'run') return;
  void run(message).then((result) => process.send?.({ type: 'done', ...result }));
});
process.send?.({ type: 'ready' });
