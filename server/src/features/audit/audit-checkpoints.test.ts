import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../db/client.js';
import { migrateDatabase } from '../../db/migrate.js';
import { createLogger } from '../../logger.js';
import { appendAuditEvent } from './audit.service.js';
import { lastAuditCheckpoint } from './audit.store.js';
import { checkpointAuditHead, startAuditCheckpointer } from './audit-checkpoints.js';
import { loadAuditSigner } from './audit-signing.js';
import { verifyAuditTrail } from './audit-verify.js';

const signer = loadAuditSigner(undefined);

describe('audit checkpoints', () => {
  let dir: string;
  let database: OpenDatabase;
  const append = (count: number) => {
    for (let i = 0; i < count; i++) {
      appendAuditEvent(database.db, {
        at: new Date().toISOString(),
        actor: { type: 'system', id: 'system', name: 'ringflag' },
        action: 'test.event',
        resource: { type: 'test', key: `k${i}` },
        before: null,
        after: { i },
      });
    }
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-checkpoints-'));
    database = openDatabase(join(dir, 'audit.db'));
    migrateDatabase(database.db);
  });
  afterEach(() => {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs a long unsigned chain in slices, in the background, up to its head', async () => {
    append(1_050);
    const checkpointer = startAuditCheckpointer({
      db: database.db,
      auditSigner: signer,
      clock: () => new Date(),
      logger: createLogger('silent'),
    });
    try {
      // The first look walks one slice and does not sign yet; the rest follows without waiting for a look.
      expect(lastAuditCheckpoint(database.db)).toBeUndefined();
      await vi.waitFor(() => expect(lastAuditCheckpoint(database.db)?.eventId).toBe(1_050), {
        timeout: 15_000,
      });
    } finally {
      checkpointer.stop();
    }
    expect(verifyAuditTrail(database.db, signer)).toMatchObject({
      ok: true,
      checkpoints: 1,
      signedThrough: 1_050,
    });
  });

  it('does not sign a chain that no longer extends the last checkpoint', () => {
    append(3);
    expect(checkpointAuditHead(database.db, signer, new Date()).kind).toBe('signed');
    database.sqlite.prepare('update audit_events set hash = ? where id = 3').run('f'.repeat(64));
    append(2);
    expect(checkpointAuditHead(database.db, signer, new Date())).toEqual({ kind: 'broken', firstBadId: 3 });
    expect(verifyAuditTrail(database.db, signer)).toMatchObject({
      ok: false,
      firstBadId: 3,
      firstBadCheckpointId: 1,
    });
  });

  it('refuses a checkpoint signed by another key', () => {
    append(2);
    checkpointAuditHead(database.db, loadAuditSigner(undefined), new Date());
    const result = verifyAuditTrail(database.db, signer);
    expect(result).toMatchObject({ ok: false, firstBadCheckpointId: 1 });
    expect(result.reason).toContain(`not this server's audit key ${signer.keyId}`);
  });
});
