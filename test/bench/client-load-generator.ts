/**
 * A child process of the evaluate benchmark, for machines without `wrk`: keeps `connections`
 * keep-alive connections busy with `POST /client/v1/evaluate` for `seconds`, cycling through
 * `contexts` distinct contexts, and reports `{ type: 'done', requests, errors, seconds, latencies }`
 * (latencies: a sample, in ms) over IPC.
 */
import http from 'node:http';

const [url = '', key = '', connectionsArg = '32', secondsArg = '10', contextsArg = '100'] =
  process.argv.slice(2);
const target = new URL(url);
const connections = Number(connectionsArg);
const seconds = Number(secondsArg);
const contexts = Number(contextsArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const bodies = Array.from({ length: contexts }, (_, i) =>
  Buffer.from(JSON.stringify({ context: { key: `user-${i}`, groups: i % 10 === 0 ? ['staff'] : ['beta'] } })),
);

let requests = 0;
let errors = 0;
const latencies: number[] = [];
const started = performance.now();
const deadline = started + seconds * 1000;

function post(body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        headers: { authorization: key, 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', () => resolve(0));
    request.end(body);
  });
}

async function loop(id: number): Promise<void> {
  let i = id;
  while (performance.now() < deadline) {
    const sent = performance.now();
    const status = await post(bodies[i++ % contexts] as Buffer);
    if (status === 200) requests++;
    else errors++;
    if (requests % 16 === 0) latencies.push(performance.now() - sent);
  }
}

await Promise.all(Array.from({ length: connections }, (_, id) => loop(id)));
process.send?.({ type: 'done', requests, errors, seconds: (performance.now() - started) / 1000, latencies });
agent.destroy();
