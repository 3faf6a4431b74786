import type { Server } from 'node:http';

/**
 * Connections the kernel holds for the server before it accepts them (capped by the kernel's
 * `net.core.somaxconn`). After a restart every SDK comes back within a few seconds: Node's default of
 * 511 overflows under that burst, and a dropped connection attempt is retried by TCP only after 1, 3
 * and 7 seconds, so the queue holds the burst while the server catches up instead.
 */
export const LISTEN_BACKLOG = 4096;

/** Listens on `host:port` with {@link LISTEN_BACKLOG}; rejects when the port cannot be had. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
