import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Database, openDatabase } from '../../db/client.js';
import { parseDatabaseLocation } from '../../db/location.js';
import { migrateDatabase } from '../../db/migrate.js';
import { createLogger } from '../../logger.js';
import { createTestDatabase, type TestDatabase } from '../../test-support/test-database.js';
import { appendAuditEvents } from './audit.service.js';
import { lastAuditCheckpoint } from './audit.store.js';
import {
  type AuditCheckpointerDeps,
  type CheckpointPolicy,
  checkpointAuditHead,
  createAuditCheckpointer,
  WALK_PER_SLICE,
} from './audit-checkpoints.js';
import { loadAuditSigner } from './audit-signing.js';
import { verifyAuditTrail } from './audit-verify.js';

const signer = loadAuditSigner(undefined);

describe('audit checkpoints', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  let appended = 0;
  const append = (count: number) =>
    database.transaction((tx) =>
      appendAuditEvents(
        tx,
        Array.from({ length: count }, () => ({
          at: new Date().toISOString(),
          actor: { type: 'system' as const, id: 'system', name: 'ringflag' },
          action: 'test.event',
          resource: { type: 'test', key: `k${++appended}` },
          before: null,
          after: { i: appended },
        })),
      ),
    );
  const checkpointer = (isLeader: () => boolean, policy?: CheckpointPolicy) => {
    const deps: AuditCheckpointerDeps = {
      database,
      auditSigner: signer,
      clock: () => new Date(),
      logger: createLogger('silent'),
      isLeader,
    };
    return createAuditCheckpointer(deps, policy);
  };
  const signedThrough = async () => (await lastAuditCheckpoint(database))?.eventId;

  beforeEach(async () => {
    appended = 0;
    testDatabase = await createTestDatabase();
    database = await openDatabase(parseDatabaseLocation(testDatabase.location));
    await migrateDatabase(database);
  });
  afterEach(async () => {
    await database.close();
    await testDatabase.drop();
  });

  it('signs a long unsigned chain in one pass, in slices that let other work run', async () => {
    await append(1_050);
    const job = checkpointer(() => true);
    // Work waiting on the event loop (a request, a timer) gets turns while the pass walks.
    let turns = 0;
    let walking = true;
    const other = () => {
      turns++;
      if (walking) setImmediate(other);
    };
    setImmediate(other);
    const pass = await job.tick();
    walking = false;
    expect(pass).toMatchObject({ kind: 'signed', created: true, checkpoint: { eventId: 1_050 } });
    expect(turns).toBeGreaterThanOrEqual(Math.floor(1_050 / WALK_PER_SLICE));
    expect(await job.tick()).toEqual({ kind: 'idle' });
    expect(await verifyAuditTrail(database, signer)).toMatchObject({
      ok: true,
      checkpoints: 1,
      signedThrough: 1_050,
    });
  });

  it('signs in the background only while this replica leads', async () => {
    await append(3);
    let leads = false;
    let asked = 0;
    const job = checkpointer(
      () => {
        asked++;
        return leads;
      },
      { everyEvents: 1, everyMs: 10 },
    );
    await job.start();
    try {
      await expect.poll(() => asked).toBeGreaterThanOrEqual(3);
      expect(await signedThrough()).toBeUndefined();
      leads = true;
      await vi.waitFor(async () => expect(await signedThrough()).toBe(3));
      await append(2);
      await vi.waitFor(async () => expect(await signedThrough()).toBe(5));
    } finally {
      await job.stop();
    }
  });

  it('never runs two passes at once', async () => {
    await append(3);
    const job = checkpointer(() => true, { everyEvents: 1, everyMs: 60_000 });
    // Overlapping passes would all find the head unsigned; one after another, only the first does.
    const passes = await Promise.all([job.tick(), job.tick(), job.tick()]);
    expect(passes.map((pass) => pass.kind)).toEqual(['signed', 'idle', 'idle']);
  });

  it('signs what is left when the leader stops, and nothing when another replica leads', async () => {
    const policy = { everyEvents: 1_000, everyMs: 3_600_000 };
    await append(2);
    const leader = checkpointer(() => true, policy);
    expect(await leader.tick()).toMatchObject({ kind: 'signed', checkpoint: { eventId: 2 } });
    await append(3);
    await leader.start();
    // Fewer events than the policy's count, soon after the last checkpoint: not due yet.
    expect(await leader.tick()).toEqual({ kind: 'idle' });
    await leader.stop();
    expect(await signedThrough()).toBe(5);

    await append(1);
    const follower = checkpointer(() => false, policy);
    await follower.start();
    await follower.stop();
    expect(await signedThrough()).toBe(5);
  });

  it('signs a head once when several sign it at the same moment', async () => {
    await append(3);
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => checkpointAuditHead(database, signer, new Date())),
    );
    expect(outcomes.filter((outcome) => outcome.kind === 'signed' && outcome.created)).toHaveLength(1);
    expect((await verifyAuditTrail(database, signer)).checkpoints).toBe(1);
  });

  it('does not sign a chain that no longer extends the last checkpoint', async () => {
    await append(3);
    expect((await checkpointAuditHead(database, signer, new Date())).kind).toBe('signed');
    await database.transaction(({ db, t }) =>
      db
        .update(t.auditEvents)
        .set({ hash: 'f'.repeat(64) })
        .where(eq(t.auditEvents.id, 3)),
    );
    await append(2);
    expect(await checkpointAuditHead(database, signer, new Date())).toEqual({
      kind: 'broken',
      firstBadId: 3,
    });
    expect(await checkpointer(() => true, { everyEvents: 1, everyMs: 60_000 }).tick()).toEqual({
      kind: 'broken',
      firstBadId: 3,
    });
    expect(await verifyAuditTrail(database, signer)).toMatchObject({
      ok: false,
      firstBadId: 3,
      firstBadCheckpointId: 1,
    });
  });

  it('refuses a checkpoint signed by another key', async () => {
    await append(2);
    await checkpointAuditHead(database, loadAuditSigner(undefined), new Date());
    const result = await verifyAuditTrail(database, signer);
    expect(result).toMatchObject({ ok: false, firstBadCheckpointId: 1 });
    expect(result.reason).toContain(`not this server's audit key ${signer.keyId}`);
  });
});
