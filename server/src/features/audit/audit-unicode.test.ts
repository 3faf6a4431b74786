import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, execute, openDatabase } from '../../db/client.js';
import { parseDatabaseLocation } from '../../db/location.js';
import { migrateDatabase } from '../../db/migrate.js';
import { documentedEventHash } from '../../test-support/documented-audit-hash.js';
import { createTestDatabase, type TestDatabase } from '../../test-support/test-database.js';
import { appendAuditEvents, type NewAuditEvent } from './audit.service.js';
import { GENESIS_HASH } from './audit-event.js';
import { walkAuditChain } from './audit-verify.js';

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
    project: row.project ?? undefined,
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

/** The stored rows after event `afterId`, as the database returns them (snake_case columns). */
const rowsAfter = (database: Database, afterId: number) =>
  execute<Record<string, unknown>>(
    database,
    sql`select * from audit_events where id > ${afterId} order by id`,
  );

describe('the audit chain with arbitrary Unicode in every field', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    database = await openDatabase(parseDatabaseLocation(testDatabase.location));
    await migrateDatabase(database);
  });
  afterAll(async () => {
    await database.close();
    await testDatabase.drop();
  });

  it('verifies after any events are appended, and each stored row hashes by the documented formula', async () => {
    let at = Date.UTC(2026, 0, 1);
    let verified = { id: 0, hash: GENESIS_HASH };
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 6 }), async (events) => {
        await database.transaction((tx) =>
          appendAuditEvents(
            tx,
            events.map((input) => {
              at += 1000;
              return { ...input, at: new Date(at).toISOString() };
            }),
          ),
        );
        const walk = await walkAuditChain(database, verified.id, verified.hash);
        expect(walk.firstBadId).toBeUndefined();
        const rows = await rowsAfter(database, verified.id);
        expect(rows).toHaveLength(events.length);
        for (const row of rows) expect(documentedHash(row), `event #${row.id}`).toBe(row.hash);
        verified = { id: walk.lastId, hash: walk.lastHash };
      }),
      { numRuns: 200 },
    );
    const whole = await walkAuditChain(database);
    expect(whole.firstBadId).toBeUndefined();
    expect(whole.lastId).toBe(verified.id);
  });

  it('stores a lone surrogate as U+FFFD and hashes what it stores', async () => {
    const [stored] = await database.transaction((tx) =>
      appendAuditEvents(tx, [
        {
          at: new Date().toISOString(),
          actor: { type: 'user', id: 'anonymous', name: 'x\ud800@example.com' },
          action: 'auth.login_failed',
          resource: { type: 'user', key: 'x\ud800@example.com' },
          before: null,
          after: { 'k\udc00': ['\ud83d'] },
        },
      ]),
    );
    expect(stored?.resource.key).toBe('x\ufffd@example.com');
    expect(stored?.after).toEqual({ 'k\ufffd': ['\ufffd'] });
    const [row] = await rowsAfter(database, stored!.id - 1);
    expect(row?.id).toBe(stored?.id);
    expect(row?.resource_key).toBe('x\ufffd@example.com');
    expect(documentedHash(row!)).toBe(stored?.hash);
  });

  it('stores U+0000 as U+FFFD (PostgreSQL text cannot hold it) and hashes what it stores', async () => {
    const [stored] = await database.transaction((tx) =>
      appendAuditEvents(tx, [
        {
          at: new Date().toISOString(),
          actor: { type: 'user', id: 'anonymous', name: 'a\u0000b' },
          action: 'auth.login_failed',
          resource: { type: 'user', key: '\u0000' },
          before: null,
          after: { 'k\u0000': ['\u0000'] },
        },
      ]),
    );
    expect(stored?.actor.name).toBe('a\ufffdb');
    expect(stored?.after).toEqual({ 'k\ufffd': ['\ufffd'] });
    const [row] = await rowsAfter(database, stored!.id - 1);
    expect(row?.actor_name).toBe('a\ufffdb');
    expect(row?.resource_key).toBe('\ufffd');
    expect(documentedHash(row!)).toBe(stored?.hash);
  });
});
