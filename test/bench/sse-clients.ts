/**
 * A child process of the propagation benchmark: opens N raw SSE connections (one socket each, no
 * SDK) and reports, per patch revision, the time each connection received it. Talks to its parent
 * over IPC: `{ type: 'connected', count }` once every stream has its first event, then
 * `{ type: 'received', revision, times, missing }` for the first revision after `after` when asked with
 * `{ type: 'await', after }`.
 *
 * A `{context}` in the URL is replaced, per connection i, by base64url of `{"key":"user-<i>"}`, so
 * every stream of the browser fan-out benchmark has a context of its own.
 */
import http from 'node:http';

const [url = '', countArg = '0', authorization = ''] = process.argv.slice(2);
const count = Number(countArg);
const target = new URL(url);
/** revision → receipt times (epoch ms, sub-ms precision) */
const receipts = new Map<number, number[]>();
let connected = 0;
let failed = 0;

const now = () => performance.timeOrigin + performance.now();

const pathOf = (index: number) => {
  const path = target.pathname + target.search;
  if (!path.includes('%7Bcontext%7D') && !path.includes('{context}')) return path;
  const context = Buffer.from(JSON.stringify({ key: `user-${index}` })).toString('base64url');
  return path.replace('%7Bcontext%7D', context).replace('{context}', context);
};

function open(index: number): void {
  const request = http.get(
    {
      host: target.hostname,
      port: target.port,
      path: pathOf(index),
      agent: false,
      headers: { accept: 'text/event-stream', ...(authorization ? { authorization } : {}) },
    },
    (response) => {
      if (response.statusCode !== 200) {
        failed++;
        response.resume();
        if (connected + failed === count) process.send?.({ type: 'connected', count: connected, failed });
        return;
      }
      response.setEncoding('utf8');
      let first = true;
      let buffer = '';
      response.on('data', (chunk: string) => {
        const at = now();
        if (first) {
          first = false;
          connected++;
          if (connected + failed === count) process.send?.({ type: 'connected', count: connected, failed });
        }
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (event.includes('event: patch')) {
            const match = /^id: ?(\d+)/m.exec(event);
            if (match) {
              const revision = Number(match[1]);
              let list = receipts.get(revision);
              if (!list) {
                list = [];
                receipts.set(revision, list);
              }
              list.push(at);
            }
          }
          end = buffer.indexOf('\n\n');
        }
      });
    },
  );
  request.on('error', () => {
    failed++;
    if (connected + failed === count) process.send?.({ type: 'connected', count: connected, failed });
  });
}

// Open in batches so the listen backlog is never the bottleneck being measured.
let opened = 0;
function openBatch(): void {
  const batch = Math.min(250, count - opened);
  for (let i = 0; i < batch; i++) open(opened + i);
  opened += batch;
  if (opened < count) setTimeout(openBatch, 20);
}
openBatch();

process.on('message', (message: { type: string; after: number; timeoutMs: number }) => {
  if (message.type !== 'await') return;
  const started = now();
  const check = () => {
    const revision = Math.min(...[...receipts.keys()].filter((r) => r > message.after));
    const times = Number.isFinite(revision) ? (receipts.get(revision) ?? []) : [];
    if ((times.length > 0 && times.length >= connected) || now() - started > message.timeoutMs) {
      process.send?.({ type: 'received', revision, times, missing: connected - times.length });
      for (const key of [...receipts.keys()]) if (key <= revision) receipts.delete(key);
    } else {
      setTimeout(check, 5);
    }
  };
  check();
});
