import type { AuditEvent } from './audit-event.js';

/** Header row of the CSV export. */
export const CSV_COLUMNS = [
  'id',
  'at',
  'actor_type',
  'actor_id',
  'actor_name',
  'action',
  'resource_type',
  'resource_key',
  'resource_environment',
  'before',
  'after',
  'comment',
  'change_request_id',
  'on_behalf_of',
  'prev_hash',
  'hash',
] as const;

/**
 * Quotes one CSV cell (RFC 4180). Cells that a spreadsheet would run as a formula get a leading `'`;
 * use the NDJSON export to verify hashes.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One event as a CSV line (with the trailing newline). */
export function csvLine(event: AuditEvent): string {
  const cells = [
    String(event.id),
    event.at,
    event.actor.type,
    event.actor.id,
    event.actor.name,
    event.action,
    event.resource.type,
    event.resource.key,
    event.resource.environment ?? '',
    event.before === null ? '' : JSON.stringify(event.before),
    event.after === null ? '' : JSON.stringify(event.after),
    event.comment ?? '',
    event.changeRequestId ?? '',
    event.onBehalfOf === undefined ? '' : JSON.stringify(event.onBehalfOf),
    event.prevHash,
    event.hash,
  ];
  return `${cells.map(csvCell).join(',')}\n`;
}

/**
 * Streams lines from an async iterator in chunks of up to 500 lines, pulled as the client reads, so a
 * large export never sits in memory whole. A client that goes away closes the iterator.
 */
export function linesStream(header: string, lines: AsyncIterator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let sentHeader = false;
  return new ReadableStream({
    async pull(controller) {
      let chunk = sentHeader ? '' : header;
      sentHeader = true;
      for (let i = 0; i < 500; i++) {
        const next = await lines.next();
        if (next.done) {
          if (chunk) controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += next.value;
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await lines.return?.();
    },
  });
}
