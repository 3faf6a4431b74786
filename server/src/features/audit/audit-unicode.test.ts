import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../db/client.js';
import { migrateDatabase } from '../../db/migrate.js';
import { documentedEventHash } from '../../test-support/documented-audit-hash.js';
import { appendAuditEvent, type NewAuditEvent, walkAuditChain } from './audit.service.js';
import { GENESIS_HASH } from './audit-event.js';

/** `hash = sha256(prevHash + "\n" + canonicalJson(event without hash))`, from the stored row alone. */
function documentedHash(row: Record<string, unknown>): string {
  const event: Record<string, unknown> = {
    id: row.id,
    at: row.at,
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    action: row.action,
    resource: {
      type: row.resource_type,
      key: row.resource_key,
      environment: row.resource_environment ?? undefined,
    },
    before: row.before === null ? null : JSON.parse(row.before as string),
    after: row.after === null ? null : JSON.parse(row.after as string),
    comment: row.comment ?? undefined,
    changeRequestId: row.change_request_id ?? undefined,
    onBehalfOf: row.on_behalf_of === null ? undefined : JSON.parse(row.on_behalf_of as string),
    prevHash: row.prev_hash,
  };
  return documentedEventHash(row.prev_hash as string, event);
}

// Lone surrogates come from 'binary' (any code unit); 'grapheme' gives combining sequences and emoji.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('x\ud800@example.com', '\udfff', '\ud83d', 'a\udc00\ud800b', '\ud83d\ude00'),
);
const json = fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 });
const actor = fc.record({ type: fc.constantFrom('user', 'token', 'system' as const), id: text, name: text });
const event: fc.Arbitrary<Omit<NewAuditEvent, 'at'>> = fc.record(
  {
    actor,
    action: text,
    resource: fc.record({ type: text, key: text, environment: text }, { requiredKeys: ['type', 'key'] }),
    before: fc.oneof(json, fc.dictionary(text, json, { maxKeys: 3 })),
    after: fc.oneof(json, fc.dictionary(text, json, { maxKeys: 3 })),
    comment: text,
    changeRequestId: text,
    onBehalfOf: actor,
  },
  { requiredKeys: ['actor', 'action', 'resource', 'before', 'after'] },
);

describe('the audit chain with arbitrary Unicode in every field', () => {
  let dir: string;
  let database: OpenDatabase;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-audit-unicode-'));
    database = openDatabase(join(dir, 'audit.db'));
    migrateDatabase(database.db);
  });
  afterAll(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies after any events are appended, and each stored row hashes by the documented formula', () => {
    let at = Date.UTC(2026, 0, 1);
    let verified = { id: 0, hash: GENESIS_HASH };
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), (events) => {
        database.db.transaction(() => {
          for (const input of events) {
            at += 1000;
            appendAuditEvent(database.db, { ...input, at: new Date(at).toISOString() });
          }
        });
        const walk = walkAuditChain(database.db, verified.id, verified.hash);
        expect(walk.firstBadId).toBeUndefined();
        const rows = database.sqlite
          .prepare('select * from audit_events where id > ? order by id')
          .all(verified.id) as Record<string, unknown>[];
        expect(rows).toHaveLength(events.length);
        for (const row of rows) expect(documentedHash(row), `event #${row.id}`).toBe(row.hash);
        verified = { id: walk.lastId, hash: walk.lastHash };
      }),
      { numRuns: 200 },
    );
    const whole = walkAuditChain(database.db);
    expect(whole.firstBadId).toBeUndefined();
    expect(whole.lastId).toBe(verified.id);
  });

  it('stores a lone surrogate as U+FFFD and hashes what it stores', () => {
    const stored = appendAuditEvent(database.db, {
      at: new Date().toISOString(),
      actor: { type: 'user', id: 'anonymous', name: 'x\ud800@example.com' },
      action: 'auth.login_failed',
      resource: { type: 'user', key: 'x\ud800@example.com' },
      before: null,
      after: { 'k\udc00': ['\ud83d'] },
    });
    expect(stored.resource.key).toBe('x\ufffd@example.com');
    expect(stored.after).toEqual({ 'k\ufffd': ['\ufffd'] });
    const row = database.sqlite.prepare('select * from audit_events where id = ?').get(stored.id) as Record<
      string,
      unknown
    >;
    expect(row.resource_key).toBe('x\ufffd@example.com');
    expect(documentedHash(row)).toBe(stored.hash);
  });
});
