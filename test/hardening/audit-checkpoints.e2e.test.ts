/**
 * Class: someone with write access to the database rewrites the audit chain and recomputes every hash
 * so that it links up again. Signed checkpoints of the head (a key outside the database) and a head
 * remembered outside Ringflag must expose it. Real server on a socket, real SQLite file, and a direct
 * SQLite connection for the attack.
 */
import { createPrivateKey, createPublicKey, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@ringflag/server';
import { loginAsAdmin } from '@ringflag/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemote } from '../../server/src/cli/index.js';
import { documentedEventHash } from '../../server/src/test-support/documented-audit-hash.js';

// better-sqlite3 is the server's dependency: the attacker's own connection to the file.
const Database = createRequire(new URL('../../server/package.json', import.meta.url))(
  'better-sqlite3',
) as new (
  path: string,
) => {
  prepare(sql: string): { all(...params: unknown[]): unknown[]; run(...params: unknown[]): unknown };
  transaction(fn: () => void): () => void;
  close(): void;
};

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

interface Head {
  eventId: number;
  hash: string;
  at: string;
  signature: string;
  keyId: string;
  algorithm: string;
  publicKey: string;
  message: string;
}
interface Verify {
  ok: boolean;
  count: number;
  checkpoints: number;
  signedThrough: number;
  firstBadId?: number;
  firstBadCheckpointId?: number;
  reason?: string;
}

let dir: string;
let dbPath: string;
let server: RunningServer | undefined;
let token: string;

async function start(): Promise<void> {
  server = await startServer({ db: dbPath, admin: ADMIN, logLevel: 'silent' });
  token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
}
async function stop(): Promise<void> {
  await server?.close();
  server = undefined;
}
async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server!.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
}
async function post(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${server!.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.text()).toBeLessThan(300);
}

type Row = Record<string, string | number | null>;
const json = (text: string | number | null | undefined) =>
  text === null || text === undefined ? null : (JSON.parse(String(text)) as unknown);

/** What the attacker does: `hash = sha256(prevHash + "\n" + canonicalJson(event without hash))`. */
function documentedHash(row: Row, prevHash: string): string {
  const event = {
    id: row.id,
    at: row.at,
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    action: row.action,
    resource: {
      type: row.resource_type,
      key: row.resource_key,
      environment: row.resource_environment ?? undefined,
    },
    before: json(row.before),
    after: json(row.after),
    comment: row.comment ?? undefined,
    changeRequestId: row.change_request_id ?? undefined,
    onBehalfOf: json(row.on_behalf_of) ?? undefined,
    project: row.project ?? undefined,
    prevHash,
  };
  return documentedEventHash(prevHash, event);
}

/** Rewrites one event's `after` and recomputes every hash after it, so the chain links up again. */
function rewriteChain(
  file: string,
  pick: (row: Row) => boolean,
  forge: (after: unknown) => unknown,
  options: { dropCheckpoints?: boolean } = {},
): number {
  const db = new Database(file);
  let forged = 0;
  try {
    db.transaction(() => {
      const rows = db.prepare('select * from audit_events order by id').all() as Row[];
      let prevHash = '0'.repeat(64);
      for (const row of rows) {
        if (forged === 0 && pick(row)) {
          row.after = JSON.stringify(forge(json(row.after)));
          forged = Number(row.id);
        }
        const hash = documentedHash(row, prevHash);
        db.prepare('update audit_events set after = ?, prev_hash = ?, hash = ? where id = ?').run(
          row.after,
          prevHash,
          hash,
          row.id,
        );
        prevHash = hash;
      }
      if (options.dropCheckpoints) db.prepare('delete from audit_checkpoints').run();
    })();
  } finally {
    db.close();
  }
  return forged;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ringflag-audit-checkpoints-'));
  dbPath = join(dir, 'ringflag.db');
});
afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a chain rewritten with database write access', () => {
  let head: Head;

  it('signs the head with a key kept outside the database, verifiable by anyone with the public key', async () => {
    await start();
    for (const key of ['checkout', 'search', 'banner']) {
      await post('/api/v1/flags', { key, kind: 'boolean', description: `the ${key} flag` });
    }
    const res = await get<Head>('/api/v1/audit/head');
    expect(res.status).toBe(200);
    head = res.body;
    expect(head.algorithm).toBe('Ed25519');
    // Outside verification: the documented message, the exported public key, node:crypto alone.
    expect(head.message).toBe(`ringflag-audit-checkpoint-v1\n${head.eventId}\n${head.hash}\n${head.at}`);
    const publicKey = createPublicKey(head.publicKey);
    expect(
      verifySignature(null, Buffer.from(head.message), publicKey, Buffer.from(head.signature, 'base64')),
    ).toBe(true);
    const verified = await get<Verify>(`/api/v1/audit/verify?head=${head.eventId}:${head.hash}`);
    expect(verified.body).toMatchObject({ ok: true, signedThrough: head.eventId });
    expect(verified.body.checkpoints).toBeGreaterThanOrEqual(1);
    await stop();
  });

  it('keeps the private key out of the database: a file beside it, mode 0600', () => {
    const keyFile = join(dir, 'audit-signing.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const privateKey = createPrivateKey(readFileSync(keyFile, 'utf8'));
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
    const seed = pkcs8.subarray(pkcs8.length - 32); // the raw Ed25519 private key
    const pemBody = readFileSync(keyFile, 'utf8').split('\n')[1]!;
    for (const name of readdirSync(dir).filter((file) => file.startsWith('ringflag.db'))) {
      const bytes = readFileSync(join(dir, name));
      expect(bytes.includes(seed), `${name} holds the raw private key`).toBe(false);
      expect(bytes.includes(Buffer.from(pemBody)), `${name} holds the PEM`).toBe(false);
      expect(bytes.includes(Buffer.from(seed.toString('base64'))), `${name} holds the key in base64`).toBe(
        false,
      );
    }
  });

  it('fails verify after the rewrite, naming the first bad checkpoint, though every hash links up', async () => {
    const forgedId = rewriteChain(
      dbPath,
      (row) => row.action === 'flag.create' && String(row.resource_key) === 'search',
      (after) => ({ ...(after as object), description: 'nothing to see here' }),
    );
    expect(forgedId).toBeGreaterThan(0);
    await start();
    const res = await get<Verify>('/api/v1/audit/verify');
    expect(res.body.ok).toBe(false);
    // The hashes were recomputed consistently: the chain alone would pass.
    expect(res.body.firstBadId).toBeUndefined();
    expect(res.body.firstBadCheckpointId).toBeGreaterThanOrEqual(1);
    expect(res.body.reason).toMatch(new RegExp(`^Checkpoint #${res.body.firstBadCheckpointId}: .*rewritten`));
    // The server does not sign the rewritten head either.
    expect((await get<{ title: string }>('/api/v1/audit/head')).status).toBe(409);
    await stop();
  });

  it('fails verify against the remembered head even when the attacker also deletes every checkpoint', async () => {
    rewriteChain(
      dbPath,
      (row) => row.action === 'flag.create' && String(row.resource_key) === 'banner',
      (after) => ({ ...(after as object), description: 'forged again' }),
      { dropCheckpoints: true },
    );
    await start();
    const res = await get<Verify>(`/api/v1/audit/verify?head=${head.eventId}:${head.hash}`);
    expect(res.body.ok).toBe(false);
    expect(res.body.reason).toContain(`remembered head #${head.eventId}`);
    await stop();
  });
});

describe('checkpoint policy', () => {
  it('signs after every N events by itself, without a request asking for it', async () => {
    const policyDir = mkdtempSync(join(tmpdir(), 'ringflag-audit-policy-'));
    const own = await startServer({
      db: join(policyDir, 'ringflag.db'),
      admin: ADMIN,
      logLevel: 'silent',
      auditCheckpoints: { everyEvents: 5, everyMs: 3_600_000 },
    });
    try {
      const ownToken = await loginAsAdmin(own.url, ADMIN.email, ADMIN.password);
      const verify = async () =>
        (await (
          await fetch(`${own.url}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${ownToken}` } })
        ).json()) as Verify;
      own.auditCheckpoints.tick();
      const first = await verify();
      for (let i = 0; i < 6; i++) {
        const response = await fetch(`${own.url}/api/v1/flags`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ownToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ key: `policy-${i}`, kind: 'boolean' }),
        });
        expect(response.status).toBe(201);
      }
      own.auditCheckpoints.tick();
      const second = await verify();
      expect(second).toMatchObject({
        ok: true,
        checkpoints: first.checkpoints + 1,
        signedThrough: second.count,
      });

      // The CLI exports the head and checks it later.
      const remote = ['--url', own.url, '--token', ownToken];
      let printed = '';
      const stdout = (text: string) => {
        printed += text;
      };
      expect(await runRemote(['audit', 'head', '--json', ...remote], { stdout })).toBe(0);
      const head = JSON.parse(printed) as Head;
      expect(head).toMatchObject({ eventId: second.count, algorithm: 'Ed25519' });
      const check = ['audit', 'verify', '--head', `${head.eventId}:${head.hash}`, ...remote];
      expect(await runRemote(check, { stdout })).toBe(0);
      const wrong = ['audit', 'verify', '--head', `${head.eventId}:${'0'.repeat(64)}`, ...remote];
      expect(await runRemote(wrong, { stdout })).toBe(4);
    } finally {
      await own.close();
      rmSync(policyDir, { recursive: true, force: true });
    }
  });
});
