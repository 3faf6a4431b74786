/**
 * The floor of the propagation benchmark: a bare node:http server that keeps every SSE socket and
 * broadcasts one pre-serialised event to all of them. `POST /broadcast?bytes=N` answers once the event
 * is written everywhere, as the admin API answers once a change is committed and published; with
 * `&answer=first` it answers, then writes, as a relay hears of a change and then writes it.
 */
import http from 'node:http';

const sockets = new Set<http.ServerResponse>();
let revision = 1;

const server = http.createServer((request, response) => {
  if (request.url?.startsWith('/stream')) {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(
      `event: put\nid: ${revision}\ndata: {"revision":${revision},"flags":{},"segments":{}}\n\n`,
    );
    sockets.add(response);
    request.on('close', () => sockets.delete(response));
    return;
  }
  if (request.url?.startsWith('/broadcast')) {
    revision++;
    const query = new URL(request.url, 'http://x').searchParams;
    const bytes = Number(query.get('bytes') ?? 400);
    const data = JSON.stringify({ revision, flags: { bench: { padding: 'x'.repeat(bytes) } }, segments: {} });
    const event = Buffer.from(`event: patch\nid: ${revision}\ndata: ${data}\n\n`);
    const answer = () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ revision }));
    };
    if (query.get('answer') === 'first') answer();
    for (const socket of sockets) socket.write(event);
    if (query.get('answer') !== 'first') answer();
    return;
  }
  response.writeHead(404).end();
});
server.keepAliveTimeout = 0;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
