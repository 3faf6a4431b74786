/**
 * Formats one server-sent event. `data` must be a single line (JSON.stringify output is), so it is
 * written as one `data:` field.
 *
 * @example
 * sseFrame('patch', 8, '{"revision":8,"flags":{}}'); // 'event: patch\nid: 8\ndata: {…}\n\n'
 */
export function sseFrame(event: string, id: number, data: string): string {
  return `event: ${event}\nid: ${id}\ndata: ${data}\n\n`;
}

/** The comment line SDKs hear every 15 s when nothing else happens. */
export const HEARTBEAT = Buffer.from(': heartbeat\n\n');
