import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { Metrics } from '../ops/metrics.js';

/** Why a connection was refused or closed to keep capacity (the `reason` label in `/metrics`). */
export type RefusalReason =
  | 'streams_total'
  | 'streams_per_key'
  | 'streams_per_address'
  | 'pending_per_address'
  | 'shed_for_headroom'
  | 'connections_total';

/** Limits of {@link ConnectionGuard}. */
export interface ConnectionLimits {
  /** Open connections at most; Node closes any beyond at once (default: below the process's fd limit). */
  maxConnections: number;
  /**
   * Connections kept free for the admin API, login and health checks: streams stop at
   * `maxConnections - reserved`, and past it the oldest idle or slow connections are closed.
   */
  reserved: number;
  /** Open streams per SDK or client key. */
  maxStreamsPerKey: number;
  /** Open streams per client address. */
  maxStreamsPerAddress: number;
  /** Connections per address that have not yet sent a request, once streams have reached their line. */
  maxPendingPerAddress: number;
}

/**
 * The soft limit on open files of this process (Linux: /proc/self/limits), or undefined where it cannot
 * be read.
 */
export function readFdLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    const value = soft === undefined ? Number.NaN : Number(soft);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Limits derived from a file-descriptor limit: descriptors are kept for the database, logs and the
 * process itself (an eighth, between 64 and 1,024), a tenth of the connections for the admin API and
 * health checks, and no key may hold more than half of the streams.
 *
 * @example
 * connectionLimits({ fdLimit: 1024 }); // { maxConnections: 896, reserved: 89, maxStreamsPerKey: 403, … }
 */
export function connectionLimits(options: {
  fdLimit?: number;
  maxConnections?: number;
  maxStreamsPerKey?: number;
  maxStreamsPerAddress?: number;
}): ConnectionLimits {
  const fdLimit = options.fdLimit ?? 4096;
  const fdReserve = Math.min(1024, Math.max(64, Math.floor(fdLimit / 8)));
  const maxConnections = options.maxConnections ?? Math.max(16, fdLimit - fdReserve);
  const reserved = Math.max(8, Math.floor(maxConnections / 10));
  const streams = Math.max(1, maxConnections - reserved);
  return {
    maxConnections,
    reserved,
    maxStreamsPerKey: options.maxStreamsPerKey ?? Math.max(1, Math.floor(streams / 2)),
    maxStreamsPerAddress: options.maxStreamsPerAddress ?? 256,
    maxPendingPerAddress: 64,
  };
}

/**
 * What the guard holds per connection, kept to one flat object: a stream lives as long as its
 * connection, so every field here is paid for by every open stream.
 */
interface Tracked {
  /** The socket's remote address (pending connections are counted per this address). */
  readonly address: string;
  request: IncomingMessage | undefined;
  /** The key of the stream this connection carries, or undefined when it carries none. */
  streamKeyId: number | undefined;
  /** The client address the stream was counted under (may be a forwarded one). */
  streamAddress: string | undefined;
}

/**
 * Keeps a server answering its admins when connections run short. Every connection is counted; one that
 * has not yet sent a whole request, or sits idle between requests, may be closed (oldest first) to make
 * room for a new one once half of the `reserved` headroom is taken; streams stop at `maxConnections - reserved`,
 * per key and per address; Node itself drops connections past `maxConnections`, well before the
 * process runs out of file descriptors. Each refusal is counted in `/metrics` and logged, at most once
 * per 10 s with counts.
 *
 * @example
 * const guard = new ConnectionGuard(connectionLimits({ fdLimit: readFdLimit() }), { logger, metrics });
 * guard.attach(server);
 */
export class ConnectionGuard {
  private readonly sockets = new Map<Socket, Tracked>();
  /** Connections that may be closed to make room, oldest first: no request yet, idle, or a body still arriving. */
  private readonly sheddable = new Set<Socket>();
  private readonly pendingByAddress = new Map<string, Set<Socket>>();
  private readonly streamsByKey = new Map<number, number>();
  private readonly streamsByAddress = new Map<string, number>();
  private streams = 0;
  private readonly unlogged = new Map<RefusalReason, number>();
  private lastLog = Number.NEGATIVE_INFINITY;
  /**
   * The listeners every connection shares (Node calls them with the socket or response as `this`):
   * one function per guard instead of a closure, and a `once` wrapper, per connection.
   */
  private readonly onSocketClose: (this: Socket) => void;
  private readonly onResponseFinish: (this: ServerResponse) => void;

  constructor(
    readonly limits: ConnectionLimits,
    private readonly deps: { logger: Logger; metrics: Metrics; now?: () => number },
  ) {
    const guard = this;
    this.onSocketClose = function onSocketClose(this: Socket) {
      guard.closed(this);
    };
    this.onResponseFinish = function onResponseFinish(this: ServerResponse) {
      guard.finished(this.req.socket);
    };
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Open streams. */
  get streamCount(): number {
    return this.streams;
  }

  /** Starts counting and limiting the connections of `server`. */
  attach(server: Server): void {
    server.maxConnections = this.limits.maxConnections;
    server.on('connection', (socket: Socket) => this.opened(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) =>
      this.started(request, response),
    );
    server.on('drop', () => this.refused('connections_total'));
  }

  /**
   * Takes a slot for a stream of `keyId` from `address`, or says why there is none. The slot is given
   * back when the response's connection closes. Without a socket (tests under `app.request()`) every
   * stream is admitted.
   */
  admitStream(
    response: ServerResponse | undefined,
    keyId: number,
    address: string,
  ): RefusalReason | undefined {
    const socket = response?.socket;
    const tracked = socket ? this.sockets.get(socket) : undefined;
    if (!socket || !tracked) return undefined;
    const reason =
      this.streams >= this.limits.maxConnections - this.limits.reserved
        ? 'streams_total'
        : (this.streamsByKey.get(keyId) ?? 0) >= this.limits.maxStreamsPerKey
          ? 'streams_per_key'
          : (this.streamsByAddress.get(address) ?? 0) >= this.limits.maxStreamsPerAddress
            ? 'streams_per_address'
            : undefined;
    if (reason) {
      this.refused(reason);
      return reason;
    }
    tracked.streamKeyId = keyId;
    tracked.streamAddress = address;
    this.sheddable.delete(socket);
    this.streams++;
    this.streamsByKey.set(keyId, (this.streamsByKey.get(keyId) ?? 0) + 1);
    this.streamsByAddress.set(address, (this.streamsByAddress.get(address) ?? 0) + 1);
    return undefined;
  }

  private opened(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    this.sockets.set(socket, {
      address,
      request: undefined,
      streamKeyId: undefined,
      streamAddress: undefined,
    });
    this.sheddable.add(socket);
    let pending = this.pendingByAddress.get(address);
    if (!pending) {
      pending = new Set();
      this.pendingByAddress.set(address, pending);
    }
    pending.add(socket);
    // 'close' comes once; closed() forgets the socket, so a shed socket's later 'close' does nothing.
    socket.on('close', this.onSocketClose);
    // Under pressure, one address may not hold many connections that have not sent a request yet (a
    // burst of SDKs reconnecting through one NAT after a restart is left alone while there is room).
    const pressed = this.sockets.size > this.limits.maxConnections - this.limits.reserved;
    while (pressed && pending.size > this.limits.maxPendingPerAddress) {
      const oldest = pending.values().next().value as Socket;
      this.shed(oldest, 'pending_per_address');
    }
    this.makeRoom(socket);
  }

  private started(request: IncomingMessage, response: ServerResponse): void {
    const socket = request.socket;
    const tracked = this.sockets.get(socket);
    if (!tracked) return;
    tracked.request = request;
    this.pendingByAddress.get(tracked.address)?.delete(socket);
    // Still sheddable while its body arrives; moved to the end: it is the newest activity.
    this.sheddable.delete(socket);
    this.sheddable.add(socket);
    response.on('finish', this.onResponseFinish);
  }

  /** A response was sent in full: its connection is idle until the next request, so sheddable again. */
  private finished(socket: Socket): void {
    const tracked = this.sockets.get(socket);
    if (!tracked || tracked.streamKeyId !== undefined) return;
    tracked.request = undefined;
    this.sheddable.delete(socket);
    this.sheddable.add(socket);
  }

  /**
   * Once half of the headroom is taken, closes the oldest connections that are idle or slow to send a
   * request. (Streams stop at the whole headroom, so a refused stream still gets its 503 first.)
   */
  private makeRoom(newcomer: Socket): void {
    const line = this.limits.maxConnections - Math.ceil(this.limits.reserved / 2);
    for (const socket of this.sheddable) {
      if (this.sockets.size <= line) return;
      if (socket === newcomer) return;
      const tracked = this.sockets.get(socket);
      // A request whose body has fully arrived is being answered: let it finish.
      if (tracked?.request?.complete) continue;
      this.shed(socket, 'shed_for_headroom');
    }
  }

  private shed(socket: Socket, reason: RefusalReason): void {
    this.refused(reason);
    this.closed(socket);
    socket.destroy();
  }

  private closed(socket: Socket): void {
    const tracked = this.sockets.get(socket);
    if (!tracked) return;
    this.sockets.delete(socket);
    this.sheddable.delete(socket);
    const pending = this.pendingByAddress.get(tracked.address);
    pending?.delete(socket);
    if (pending?.size === 0) this.pendingByAddress.delete(tracked.address);
    if (tracked.streamKeyId !== undefined && tracked.streamAddress !== undefined) {
      this.streams--;
      decrement(this.streamsByKey, tracked.streamKeyId);
      decrement(this.streamsByAddress, tracked.streamAddress);
    }
  }

  private refused(reason: RefusalReason): void {
    this.deps.metrics.recordConnectionRefusal(reason);
    this.unlogged.set(reason, (this.unlogged.get(reason) ?? 0) + 1);
    const now = (this.deps.now ?? Date.now)();
    if (now - this.lastLog < 10_000) return;
    this.lastLog = now;
    this.deps.logger.warn(
      'connection capacity reached: refusing streams and closing idle or slow connections',
      {
        refused: [...this.unlogged].map(([reason, count]) => `${reason}=${count}`).join(' '),
        connections: this.sockets.size,
        streams: this.streams,
        maxConnections: this.limits.maxConnections,
        reserved: this.limits.reserved,
      },
    );
    this.unlogged.clear();
  }
}

function decrement<K>(map: Map<K, number>, key: K): void {
  const left = (map.get(key) ?? 0) - 1;
  if (left <= 0) map.delete(key);
  else map.set(key, left);
}
