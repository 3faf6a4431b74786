import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlagConfigInput } from '../../engine/index.js';

/** A request the test server received, for assertions. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface SdkTestServerOptions {
  /** The key the server accepts; anything else gets 401. Default `rf_srv_test`. */
  sdkKey?: string;
  /** Heartbeat comment interval in ms; 0 sends none. Default 0 (tests drive time). */
  heartbeatMs?: number;
  /** Port to listen on; 0 picks a free one. */
  port?: number;
}

/**
 * A small Ringflag server for SDK tests that speaks the SDK protocol of DESIGN §6–7 over a real
 * socket: `GET /sdk/v1/flags` (ETag, 304), `GET /sdk/v1/stream` (put, patch, ids, Last-Event-ID
 * catch-up, heartbeat comments) and `POST /sdk/v1/events`. Tests change its data and break it on
 * purpose (refuse streams, go silent, drop connections) and read what it received.
 */
export class SdkTestServer {
  revision = 1;
  flags: Record<string, unknown> = {};
  segments: Record<string, unknown> = {};
  readonly requests: RecordedRequest[] = [];
  /** What `GET /sdk/v1/stream` answers instead of a stream, when set (e.g. 503). */
  streamStatus: number | null = null;
  /** Headers sent with {@link streamStatus} (e.g. `Retry-After`). */
  streamStatusHeaders: Record<string, string> = {};
  /** When true, streams get no put and no heartbeat: a connection that went silent. */
  silent = false;
  /** What `POST /sdk/v1/events` answers. */
  eventsStatus = 202;
  /** When set, the stream's put carries this text instead of the payload. */
  putOverride: string | null = null;
  private readonly history: { revision: number; data: string }[] = [];
  private readonly streams = new Set<ServerResponse>();
  private readonly server: Server;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private readonly sdkKey: string;

  private constructor(private readonly options: SdkTestServerOptions) {
    this.sdkKey = options.sdkKey ?? 'rf_srv_test';
    this.server = createServer((request, response) => this.handle(request, response));
  }

  static async start(options: SdkTestServerOptions = {}): Promise<SdkTestServer> {
    const server = new SdkTestServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open stream connections. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Requests to one path, in order. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** The parsed bodies of `POST /sdk/v1/events`. */
  get eventBodies(): { exposures: unknown[]; events: unknown[] }[] {
    return this.requestsTo('/sdk/v1/events').map((r) => JSON.parse(r.body));
  }

  /** Changes (or, with `null`, deletes) a flag: bumps the revision and sends a patch to every stream. */
  setFlag(key: string, config: unknown | null): void {
    this.revision += 1;
    if (config === null) delete this.flags[key];
    else this.flags[key] = config;
    const data = JSON.stringify({ revision: this.revision, flags: { [key]: config }, segments: {} });
    this.history.push({ revision: this.revision, data });
    this.broadcast(`id: ${this.revision}\nevent: patch\ndata: ${data}\n\n`);
  }

  /** Changes a flag without telling the streams (as if the change happened while they were away). */
  setFlagQuietly(key: string, config: unknown): void {
    this.revision += 1;
    this.flags[key] = config;
    const data = JSON.stringify({ revision: this.revision, flags: { [key]: config }, segments: {} });
    this.history.push({ revision: this.revision, data });
  }

  /** Writes raw SSE text to every open stream. */
  broadcast(text: string): void {
    for (const stream of this.streams) stream.write(text);
  }

  /** Sends a heartbeat comment to every open stream. */
  sendHeartbeat(): void {
    this.broadcast(':\n\n');
  }

  /** Cuts every open stream connection, as a crashing server or a proxy would. */
  dropStreams(): void {
    for (const stream of this.streams) stream.socket?.destroy();
    this.streams.clear();
  }

  /** Resolves once `count` stream connections were made in total. */
  async waitForStreamRequests(count: number, timeoutMs = 5_000): Promise<void> {
    await waitUntil(() => this.requestsTo('/sdk/v1/stream').length >= count, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.dropStreams();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    if (this.options.heartbeatMs) {
      this.heartbeat = setInterval(() => {
        if (!this.silent) this.sendHeartbeat();
      }, this.options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  private payload(): string {
    return JSON.stringify({ revision: this.revision, flags: this.flags, segments: this.segments });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      this.requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
      this.route(request, response, path);
    });
  }

  private route(request: IncomingMessage, response: ServerResponse, path: string): void {
    const key = (request.headers.authorization ?? '').replace(/^Bearer /, '');
    if (key !== this.sdkKey) {
      response.writeHead(401, { 'content-type': 'application/problem+json' });
      response.end(JSON.stringify({ title: 'Unauthorized', status: 401 }));
      return;
    }
    if (request.method === 'GET' && path === '/sdk/v1/flags') {
      const etag = `"${this.revision}"`;
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304, { etag });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', etag });
      response.end(this.payload());
      return;
    }
    if (request.method === 'GET' && path === '/sdk/v1/stream') {
      this.openStream(request, response);
      return;
    }
    if (request.method === 'POST' && path === '/sdk/v1/events') {
      response.writeHead(this.eventsStatus);
      response.end();
      return;
    }
    response.writeHead(404);
    response.end();
  }

  private openStream(request: IncomingMessage, response: ServerResponse): void {
    if (this.streamStatus !== null) {
      response.writeHead(this.streamStatus, { 'content-type': 'text/plain', ...this.streamStatusHeaders });
      response.end('unavailable');
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    response.flushHeaders();
    this.streams.add(response);
    response.on('close', () => this.streams.delete(response));
    if (this.silent) return;
    const lastEventId = Number(request.headers['last-event-id']);
    const oldest = this.history[0]?.revision ?? Number.POSITIVE_INFINITY;
    if (Number.isInteger(lastEventId) && lastEventId >= oldest - 1 && lastEventId <= this.revision) {
      for (const entry of this.history) {
        if (entry.revision > lastEventId)
          response.write(`id: ${entry.revision}\nevent: patch\ndata: ${entry.data}\n\n`);
      }
      return;
    }
    response.write(`id: ${this.revision}\nevent: put\ndata: ${this.putOverride ?? this.payload()}\n\n`);
  }
}

/** Polls `condition` every few milliseconds until it holds, failing after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A minimal valid boolean flag config, on or off for everyone. */
export function booleanFlag(key: string, on: boolean, version = 1): FlagConfigInput {
  return {
    key,
    version,
    kind: 'boolean',
    variations: [
      { id: 'off', value: false },
      { id: 'on', value: true },
    ],
    enabled: on,
    offVariation: 'off',
    fallthrough: { variation: 'on' },
  };
}
