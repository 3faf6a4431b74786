import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server.js';
import { createTestDatabase, type TestDatabase } from '../../test-support/test-database.js';
import { adminRequest, loginAsAdmin } from '../../testing.js';
import type { AuditEvent } from '../audit/audit-event.js';
import type { ChangeRequest } from './change-request.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const START = new Date('2026-05-01T10:00:00.000Z');
const APPLY_AT = '2026-05-01T11:00:00.000Z';

describe('change scheduler across a restart', () => {
  let database: TestDatabase;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    await database.drop();
  });

  const start = async (now: Date) => {
    server = await startServer({
      db: database.location,
      auditKeyFile: join(database.dir, 'audit-signing.pem'),
      admin: ADMIN,
      logLevel: 'silent',
      clock: () => now,
    });
    return { server, token: await loginAsAdmin(server.url, ADMIN.email, ADMIN.password) };
  };

  it('applies a change that fell due while the server was down, as the scheduler on behalf of its author', async () => {
    database = await createTestDatabase();
    const first = await start(START);
    await adminRequest(first.server.url, first.token, 'POST', '/api/v1/flags', {
      key: 'launch',
      kind: 'boolean',
    });
    const scheduled = await adminRequest<ChangeRequest>(
      first.server.url,
      first.token,
      'POST',
      '/api/v1/flags/launch/environments/staging/toggle',
      { enabled: true, applyAt: APPLY_AT, comment: 'launch at eleven' },
    );
    expect(scheduled.status).toBe(202);
    expect(scheduled.body.state).toBe('scheduled');
    // Started: not due yet.
    expect(await first.server.scheduler.tick()).toEqual([]);
    await first.server.close();

    const second = await start(new Date('2026-05-01T11:00:05.000Z'));
    // Starting applied it: nobody called tick().
    const request = await adminRequest<ChangeRequest>(
      second.server.url,
      second.token,
      'GET',
      `/api/v1/change-requests/${scheduled.body.id}`,
    );
    expect(request.body).toMatchObject({ state: 'applied', appliedAt: '2026-05-01T11:00:05.000Z' });
    const config = await adminRequest<{ enabled: boolean; version: number }>(
      second.server.url,
      second.token,
      'GET',
      '/api/v1/flags/launch/environments/staging',
    );
    expect(config.body).toMatchObject({ enabled: true, version: 2 });
    const audit = await adminRequest<{ items: AuditEvent[] }>(
      second.server.url,
      second.token,
      'GET',
      '/api/v1/audit?resource=launch&environment=staging',
    );
    expect(audit.body.items[0]).toMatchObject({
      action: 'flag.config.enable',
      actor: { type: 'system', id: 'scheduler', name: 'scheduler' },
      onBehalfOf: { type: 'user', name: ADMIN.email },
      changeRequestId: String(scheduled.body.id),
      comment: 'launch at eleven',
    });
  });
});
