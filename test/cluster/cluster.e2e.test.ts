/**
 * End to end, with real processes on 127.0.0.1: a throwaway PostgreSQL, three Ringflag replicas (A, B,
 * C) sharing its database and one audit signing key, and HAProxy in front running the very
 * configuration docs/deploy ships. Writes on one replica reach streams on the others; a replica killed
 * with SIGKILL loses its streams, which resume elsewhere from Last-Event-ID without a gap; killing the
 * leader hands the scheduled changes to another replica on time; concurrent writes on all replicas
 * keep every revision and the audit chain; a PostgreSQL restart costs 503s, never a 500 or a lost
 * acknowledged write; and a bad database setting stops the server with one clear line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type PostgresServer, postgresAvailable, startPostgres } from '../support/postgres.js';
import { freePort, type RingflagProcess, startRingflagProcess } from '../support/ringflag-process.js';
import {
  Api,
  call,
  type Haproxy,
  haproxyAvailable,
  isLeader,
  login,
  type Reply,
  revisionAt,
  runServerExpectingExit,
  startHaproxy,
  writeAuditKey,
} from './cluster.js';
import { changeOf, gapProblem, type SseEvent, SseStream } from './sse.js';

const ADMIN = { email: 'admin@example.com', password: 'cluster-admin-password' };
const NAMES = ['A', 'B', 'C'] as const;

const missing = [
  postgresAvailable() ? undefined : 'PostgreSQL binaries (set RINGFLAG_PG_BIN)',
  haproxyAvailable() ? undefined : 'haproxy (set RINGFLAG_HAPROXY)',
].filter((what) => what !== undefined);
if (missing.length > 0) {
  console.warn(`cluster end-to-end tests skipped: ${missing.join(' and ')} not installed`);
}

const isPatchOf = (flag: string, enabled: boolean) => (event: SseEvent) =>
  event.event === 'patch' && changeOf(event).flags[flag]?.enabled === enabled;

const isProblem503 = (reply: Reply) =>
  reply.status === 503 && reply.contentType.startsWith('application/problem+json');

describe.skipIf(!postgresAvailable())('Ringflag on PostgreSQL', () => {
  let postgres: PostgresServer;

  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await postgres?.destroy();
  });

  describe.skipIf(!haproxyAvailable())('three replicas behind haproxy', () => {
    let dir: string;
    const replicas: RingflagProcess[] = [];
    let lb: Haproxy;
    let token: string;
    /** A server SDK key per environment. */
    const sdkKeys: Record<string, string> = {};
    const streams: SseStream[] = [];

    const api = (i: number) => new Api(replicas[i]!.base, token);
    const lbApi = () => new Api(lb.base, token);
    const open = async (base: string, environment: string, lastEventId?: number) => {
      const stream = await SseStream.open(base, sdkKeys[environment]!, { lastEventId });
      streams.push(stream);
      return stream;
    };
    const firstPut = (stream: SseStream) => stream.waitFor((e) => e.event === 'put', 5_000, 'a put');
    /** Which replicas say they lead (those that answer). */
    const leaders = async () => {
      const answers = await Promise.all(replicas.map((replica) => isLeader(replica.base)));
      return answers.flatMap((leads, i) => (leads ? [i] : []));
    };
    /** Every flag key one replica lists, page after page. */
    const flagKeys = async (i: number) => {
      const keys = new Set<string>();
      let cursor: string | null | undefined;
      do {
        const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = await api(i).ok<{ items: { key: string }[]; nextCursor?: string | null }>(
          'GET',
          `/api/v1/flags?limit=500${query}`,
        );
        for (const item of page.items) keys.add(item.key);
        cursor = page.nextCursor;
      } while (cursor);
      return keys;
    };
    const verifyAudit = async (i: number) =>
      api(i).ok<{ ok: boolean; count: number; reason?: string }>('GET', '/api/v1/audit/verify');

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ringflag-cluster-'));
      const db = await postgres.createDatabase('ringflag_cluster');
      const env = {
        RINGFLAG_AUDIT_KEY_FILE: writeAuditKey(dir),
        RINGFLAG_ADMIN_EMAIL: ADMIN.email,
        RINGFLAG_ADMIN_PASSWORD: ADMIN.password,
        RINGFLAG_TRUST_PROXY: '127.0.0.1',
        RINGFLAG_DB_POOL: '5',
        RINGFLAG_LOG_LEVEL: 'warn',
      };
      // Started together: they take turns migrating and seeding the empty database.
      const started = await Promise.allSettled(NAMES.map(() => startRingflagProcess({ db, env })));
      for (const outcome of started) if (outcome.status === 'fulfilled') replicas.push(outcome.value);
      for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
      lb = await startHaproxy(replicas.map((replica) => replica.port));
      token = await login(replicas[0]!.base, ADMIN.email, ADMIN.password);
      for (const environment of ['development', 'staging', 'production']) {
        const { key } = await api(0).ok<{ key: string }>(
          'POST',
          `/api/v1/environments/${environment}/sdk-keys`,
          {
            type: 'server',
          },
        );
        sdkKeys[environment] = key;
      }
    }, 90_000);

    // A test that failed half-way may leave a replica dead: later tests start with all three up.
    beforeEach(async () => {
      for (const [i, replica] of replicas.entries()) {
        const health = await call(replica.base, 'GET', '/healthz', { timeoutMs: 2_000 });
        if (health.status !== 200) replicas[i] = await replica.restart();
      }
    }, 30_000);

    afterEach((context) => {
      if (context.task.result?.state !== 'fail') return;
      for (const [i, replica] of replicas.entries()) {
        console.error(
          `--- replica ${NAMES[i]} (${replica.base}) output ---\n${replica.output().slice(-4000)}`,
        );
      }
      console.error(`--- haproxy ---\n${lb?.output().slice(-3000)}`);
    });

    afterAll(async () => {
      for (const stream of streams) stream.close();
      await Promise.all(replicas.map((replica) => replica.kill()));
      await lb?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('a write on A reaches SDK streams opened on B and C within seconds', async () => {
      const onB = await open(replicas[1]!.base, 'development');
      const onC = await open(replicas[2]!.base, 'development');
      const [putB, putC] = await Promise.all([firstPut(onB), firstPut(onC)]);

      await api(0).ok('POST', '/api/v1/flags', { key: 'spread', name: 'Spread', kind: 'boolean' });
      await api(0).ok('POST', '/api/v1/flags/spread/environments/development/toggle', { enabled: true });

      const [onTheirWayB, onTheirWayC] = await Promise.all([
        onB.waitFor(isPatchOf('spread', true), 5_000, 'the toggle of spread'),
        onC.waitFor(isPatchOf('spread', true), 5_000, 'the toggle of spread'),
      ]);
      expect(onTheirWayB.id).toBe(onTheirWayC.id);
      expect(gapProblem(onB.events, putB.id!, onTheirWayB.id!)).toBeUndefined();
      expect(gapProblem(onC.events, putC.id!, onTheirWayC.id!)).toBeUndefined();
    });

    it('a session from one replica works on all; a revoked token, key or disabled user is refused on every replica within 1 s', async () => {
      // Within a second of the revoking write's answer: polled every 50 ms, for at most 1 s.
      const withinASecond = { timeout: 1_000, interval: 50 };
      const me = (i: number, bearer: string) =>
        call(replicas[i]!.base, 'GET', '/api/v1/me', { token: bearer });

      // A session signed in on C works on A and B.
      const viewerPassword = 'viewer-password-1';
      const viewer = await api(0).ok<{ id: number }>('POST', '/api/v1/users', {
        email: 'viewer@example.com',
        password: viewerPassword,
        role: 'viewer',
      });
      const session = await login(replicas[2]!.base, 'viewer@example.com', viewerPassword);
      for (const i of [0, 1, 2]) expect((await me(i, session)).status).toBe(200);

      // An API token made on A works on B and C; revoked on A, it is refused on both within a second.
      const apiToken = await api(0).ok<{ id: number; token: string }>('POST', '/api/v1/api-tokens', {
        name: 'pipeline',
        role: 'viewer',
      });
      for (const i of [1, 2]) expect((await me(i, apiToken.token)).status).toBe(200);
      await api(0).ok('DELETE', `/api/v1/api-tokens/${apiToken.id}`);
      await Promise.all(
        [1, 2].map((i) =>
          expect.poll(async () => (await me(i, apiToken.token)).status, withinASecond).toBe(401),
        ),
      );

      // A user disabled on A: their session is refused on B and C within a second.
      await api(0).ok('PATCH', `/api/v1/users/${viewer.id}`, { disabled: true });
      await Promise.all(
        [1, 2].map((i) => expect.poll(async () => (await me(i, session)).status, withinASecond).toBe(401)),
      );

      // An SDK key revoked on A: its open stream on B closes and C refuses it, within a second.
      const sdkKey = await api(0).ok<{ id: number; key: string }>(
        'POST',
        '/api/v1/environments/staging/sdk-keys',
        {
          type: 'server',
        },
      );
      const payload = (i: number) =>
        call(replicas[i]!.base, 'GET', '/sdk/v1/flags', { headers: { authorization: sdkKey.key } });
      expect((await payload(2)).status).toBe(200);
      const onB = await SseStream.open(replicas[1]!.base, sdkKey.key);
      streams.push(onB);
      await firstPut(onB);
      await api(0).ok('DELETE', `/api/v1/environments/staging/sdk-keys/${sdkKey.id}`);
      const revokedAt = performance.now();
      await onB.waitForEnd(1_000);
      expect(performance.now() - revokedAt).toBeLessThan(1_000);
      await expect.poll(async () => (await payload(2)).status, withinASecond).toBe(401);
    });

    it('after kill -9 of B, its stream resumes through haproxy from Last-Event-ID without a gap', async () => {
      const onB = await open(replicas[1]!.base, 'development');
      const put = await firstPut(onB);
      const lastSeen = put.id!;

      await replicas[1]!.kill();
      await onB.waitForEnd(5_000);

      // Writes while B is down, through the load balancer: it retries a refused connection elsewhere.
      let enabled = true;
      for (let i = 0; i < 6; i++) {
        enabled = !enabled;
        await lbApi().ok('POST', '/api/v1/flags/spread/environments/development/toggle', { enabled });
      }
      await lbApi().ok('POST', '/api/v1/flags', { key: 'while-b-was-down', kind: 'boolean' });
      const latest = await revisionAt(replicas[2]!.base, sdkKeys.development!);
      expect(latest).toBe(lastSeen + 7);

      const resumed = await open(lb.base, 'development', lastSeen);
      await resumed.waitForRevision(latest, 5_000);
      // Caught up with exactly the missed patches, in order, not with a fresh payload.
      expect(resumed.named('put')).toEqual([]);
      expect(gapProblem(resumed.events, lastSeen, latest)).toBeUndefined();
      const patches = resumed.named('patch').map(changeOf);
      expect(
        patches.filter((patch) => 'spread' in patch.flags).map((patch) => patch.flags.spread?.enabled),
      ).toEqual([false, true, false, true, false, true]);
      expect(patches.at(-1)?.flags['while-b-was-down']).toBeTruthy();

      replicas[1] = await replicas[1]!.restart();
      await expect
        .poll(async () => (await api(1).call('GET', '/readyz')).status, { timeout: 10_000 })
        .toBe(200);
      // The restarted B has nothing in memory: it answers the same Last-Event-ID from the change log.
      const fromLog = await open(replicas[1]!.base, 'development', lastSeen);
      await fromLog.waitForRevision(latest, 5_000);
      expect(fromLog.named('put')).toEqual([]);
      expect(gapProblem(fromLog.events, lastSeen, latest)).toBeUndefined();
    }, 40_000);

    it('after kill -9 of the leader, another replica takes the lead and applies a scheduled change on time', async () => {
      await expect.poll(leaders, { timeout: 10_000 }).toHaveLength(1);
      const [leader] = await leaders();
      const survivors = [0, 1, 2].filter((i) => i !== leader);
      const [writer, watcher] = survivors as [number, number];

      await api(writer).ok('POST', '/api/v1/flags', { key: 'scheduled', kind: 'boolean' });
      const onWatcher = await open(replicas[watcher]!.base, 'development');
      await firstPut(onWatcher);
      const applyAt = Date.now() + 4_000;
      const request = await api(writer).call(
        'POST',
        '/api/v1/flags/scheduled/environments/development/toggle',
        {
          enabled: true,
          applyAt: new Date(applyAt).toISOString(),
        },
      );
      expect(request.status, request.text).toBe(202);
      const changeRequest = JSON.parse(request.text) as { id: number; state: string };
      expect(changeRequest.state).toBe('scheduled');

      await replicas[leader!]!.kill();
      // The lock of the dead leader's session is released; a survivor takes it at its next try.
      await expect.poll(leaders, { timeout: 8_000 }).toHaveLength(1);
      const [successor] = await leaders();
      expect(survivors).toContain(successor);

      const applied = await onWatcher.waitFor(
        isPatchOf('scheduled', true),
        applyAt - Date.now() + 6_000,
        'the scheduled toggle',
      );
      expect(Date.now()).toBeGreaterThanOrEqual(applyAt);
      expect(applied.id).toBeDefined();
      const after = await api(watcher).ok<{ state: string; appliedAt: string }>(
        'GET',
        `/api/v1/change-requests/${changeRequest.id}`,
      );
      expect(after.state).toBe('applied');
      const late = Date.parse(after.appliedAt) - applyAt;
      // Not before its time, and at most a few seconds after (a scheduler pass plus the takeover).
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(4_000);

      replicas[leader!] = await replicas[leader!]!.restart();
      await expect
        .poll(async () => (await api(leader!).call('GET', '/readyz')).status, { timeout: 10_000 })
        .toBe(200);
      expect(await leaders()).toEqual([successor]);
    }, 40_000);

    it('concurrent writes on all three replicas: every acknowledged write is there, revisions gap-free, audit verifies', async () => {
      // Development streamed from every replica; staging and production from one each.
      const watched: { stream: SseStream; environment: string; from: number; replica: number }[] = [];
      for (const [replica, environment] of [
        [0, 'development'],
        [1, 'development'],
        [2, 'development'],
        [1, 'staging'],
        [2, 'production'],
      ] as const) {
        const stream = await open(replicas[replica]!.base, environment);
        watched.push({ stream, environment, from: (await firstPut(stream)).id!, replica });
      }

      const PER_REPLICA = 6;
      const outcomes = await Promise.all(
        [0, 1, 2].flatMap((replica) =>
          Array.from({ length: PER_REPLICA }, async (_, i) => {
            const key = `burst-${NAMES[replica]!.toLowerCase()}-${i}`;
            const created = await api(replica).call('POST', '/api/v1/flags', { key, kind: 'boolean' });
            const toggled =
              created.status === 201
                ? await api(replica).call('POST', `/api/v1/flags/${key}/environments/development/toggle`, {
                    enabled: true,
                  })
                : undefined;
            return { key, created, toggled };
          }),
        ),
      );
      const failures = outcomes.flatMap(({ key, created, toggled }) =>
        [created, toggled]
          .filter(
            (reply): reply is Reply => reply !== undefined && (reply.status < 200 || reply.status > 299),
          )
          .map((reply) => `${key}: ${reply.status} ${reply.error ?? reply.text.slice(0, 200)}`),
      );
      expect(failures).toEqual([]);
      const keys = outcomes.map((outcome) => outcome.key);

      // Every replica lists every flag.
      for (const replica of [0, 1, 2]) {
        const listed = await flagKeys(replica);
        expect(
          keys.filter((key) => !listed.has(key)),
          NAMES[replica],
        ).toEqual([]);
      }
      // Every stream got every revision of its environment once, in order, up to the database's.
      for (const { stream, environment, from, replica } of watched) {
        const latest = await revisionAt(replicas[replica]!.base, sdkKeys[environment]!);
        expect(latest - from, `${environment} on ${NAMES[replica]}`).toBe(
          environment === 'development' ? 2 * keys.length : keys.length,
        );
        await stream.waitForRevision(latest, 5_000);
        expect(
          gapProblem(stream.events, from, latest),
          `${environment} on ${NAMES[replica]}`,
        ).toBeUndefined();
      }
      // What the development streams saw ends with every flag on.
      for (const { stream, environment } of watched.filter((w) => w.environment === 'development')) {
        const state = new Map<string, boolean | undefined>();
        for (const patch of stream.named('patch').map(changeOf)) {
          for (const [key, config] of Object.entries(patch.flags)) state.set(key, config?.enabled);
        }
        expect(
          keys.filter((key) => state.get(key) !== true),
          environment,
        ).toEqual([]);
      }

      for (const replica of [0, 1, 2]) {
        const verdict = await verifyAudit(replica);
        expect(verdict, NAMES[replica]).toMatchObject({ ok: true });
        expect(verdict.count).toBeGreaterThanOrEqual(2 * keys.length);
      }
    }, 60_000);

    it('a PostgreSQL restart mid-traffic: streams stay, 503s (never 500, never a hang), recovery on its own, no acknowledged write lost', async () => {
      const watched = await Promise.all(
        [0, 1, 2].map((replica) => open(replicas[replica]!.base, 'development')),
      );
      const from = await Promise.all(watched.map(async (stream) => (await firstPut(stream)).id!));

      // Traffic: on every replica, one write after another until told to stop, so that writes are in
      // flight when the database goes away.
      const attempts: { key: string; replica: number; reply: Reply; at: number }[] = [];
      let stopWriting = false;
      let databaseDown = false;
      const writing = Promise.all(
        [0, 1, 2].map(async (replica) => {
          for (let i = 0; !stopWriting; i++) {
            const key = `during-${NAMES[replica]!.toLowerCase()}-${i}`;
            const reply = await api(replica).call(
              'POST',
              '/api/v1/flags',
              { key, kind: 'boolean' },
              { timeoutMs: 15_000 },
            );
            attempts.push({ key, replica, reply, at: Date.now() });
            // An outage's quick 503s are paced, so that they do not spin.
            if (reply.status !== 201) await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }),
      );
      const acknowledged = () => attempts.filter((attempt) => attempt.reply.status === 201);

      try {
        await expect.poll(() => acknowledged().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(6);
        await postgres.stop('fast');
        databaseDown = true;
        const down = Date.now();

        // Every replica says it is not ready; the load balancer takes them out.
        for (const replica of [0, 1, 2]) {
          await expect
            .poll(
              async () => (await api(replica).call('GET', '/readyz', undefined, { timeoutMs: 5_000 })).status,
              {
                timeout: 8_000,
                message: `/readyz of ${NAMES[replica]} during the outage (0: no answer, did it crash?)`,
              },
            )
            .toBe(503);
        }
        // A write on each replica: a 503 problem, quickly.
        for (const replica of [0, 1, 2]) {
          const reply = await api(replica).call(
            'POST',
            '/api/v1/flags/spread/environments/development/toggle',
            { enabled: false },
            { timeoutMs: 8_000 },
          );
          expect(
            isProblem503(reply),
            `${NAMES[replica]}: ${reply.status} ${reply.contentType} ${reply.text}`,
          ).toBe(true);
          expect(reply.ms).toBeLessThan(6_000);
        }
        await expect
          .poll(
            () => attempts.filter((attempt) => attempt.at > down && attempt.reply.status === 503).length,
            {
              timeout: 8_000,
            },
          )
          .toBeGreaterThanOrEqual(3);
        // The processes answer, and their open streams are still there.
        for (const replica of [0, 1, 2]) {
          expect((await api(replica).call('GET', '/healthz')).status).toBe(200);
          expect((await api(replica).call('GET', '/metrics')).status).toBe(200);
        }
        for (const stream of watched) expect(stream.ended).toBeUndefined();

        await postgres.start();
        databaseDown = false;
        const up = Date.now();
        for (const replica of [0, 1, 2]) {
          await expect
            .poll(async () => (await api(replica).call('GET', '/readyz')).status, {
              timeout: 15_000,
              message: `/readyz of ${NAMES[replica]} after the database came back (0: no answer, did it crash?)`,
            })
            .toBe(200);
        }
        // Writes succeed again on every replica.
        await expect
          .poll(
            () =>
              new Set(
                acknowledged()
                  .filter((attempt) => attempt.at > up)
                  .map((attempt) => attempt.replica),
              ).size,
            { timeout: 15_000 },
          )
          .toBe(3);
      } finally {
        stopWriting = true;
        await writing;
        // Whatever failed above, the database comes back for the tests after this one.
        if (databaseDown) await postgres.start();
      }

      // Only 201 or a 503 problem: never a 500, never a request left without an answer.
      const odd = attempts.filter((attempt) => attempt.reply.status !== 201 && !isProblem503(attempt.reply));
      expect(
        odd.map(
          (a) =>
            `${a.key} on ${NAMES[a.replica]}: ${a.reply.status} ${a.reply.error ?? a.reply.text.slice(0, 200)}`,
        ),
      ).toEqual([]);
      expect(Math.max(...attempts.map((attempt) => attempt.reply.ms))).toBeLessThan(10_000);

      // Every acknowledged write is there.
      const listed = await flagKeys(0);
      expect(
        acknowledged()
          .filter((attempt) => !listed.has(attempt.key))
          .map((attempt) => attempt.key),
      ).toEqual([]);

      // The streams that stayed open got every revision, across the outage, and hear new writes.
      await api(0).ok('POST', '/api/v1/flags/spread/environments/development/toggle', { enabled: false });
      const latest = await revisionAt(replicas[0]!.base, sdkKeys.development!);
      for (const [i, stream] of watched.entries()) {
        await stream.waitForRevision(latest, 8_000);
        expect(stream.ended, NAMES[i]).toBeUndefined();
        expect(gapProblem(stream.events, from[i]!, latest), NAMES[i]).toBeUndefined();
      }
      await expect.poll(leaders, { timeout: 10_000 }).toHaveLength(1);
      for (const replica of [0, 1, 2])
        expect(await verifyAudit(replica), NAMES[replica]).toMatchObject({ ok: true });
    }, 90_000);
  });

  describe('bad database configuration stops the server with one clear line', () => {
    const SECRET = 'wrong-password-5f2c9a';
    let dir: string;
    let keyFile: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ringflag-badconfig-'));
      keyFile = writeAuditKey(dir);
      // A role that signs in with a password (scram), whatever the trust rule for the others says.
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      try {
        await admin.query(`CREATE ROLE ringflag_pw LOGIN PASSWORD 'the-right-password'`);
        const hba = join(postgres.dir, 'data', 'pg_hba.conf');
        writeFileSync(hba, `host all ringflag_pw 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
        await admin.query('select pg_reload_conf()');
      } finally {
        await admin.end();
      }
      // The postmaster reloads the rules asynchronously: wait until a wrong password is refused.
      await vi.waitFor(
        async () => {
          const client = new pg.Client({
            connectionString: `postgres://ringflag_pw:nope@127.0.0.1:${postgres.port}/postgres`,
          });
          let code: string | undefined = 'accepted';
          try {
            await client.connect();
            await client.end();
          } catch (error) {
            code = (error as { code?: string }).code;
          }
          if (code !== '28P01') throw new Error(`a wrong password got ${code}, not 28P01`);
        },
        { timeout: 5_000, interval: 100 },
      );
    }, 30_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Runs the server with RINGFLAG_DB = `db` and checks it exits at once with one line, no secret in it. */
    const expectOneLineExit = async (db: string) => {
      const run = await runServerExpectingExit({ RINGFLAG_DB: db, RINGFLAG_AUDIT_KEY_FILE: keyFile });
      const lines = run.stderr.split('\n').filter((line) => line.trim() !== '');
      const detail = `exit ${run.code} after ${Math.round(run.ms)} ms\nstderr:\n${run.stderr}\nstdout:\n${run.stdout}`;
      expect(run.timedOut, detail).toBe(false);
      expect(run.code, detail).not.toBe(0);
      expect(run.ms, detail).toBeLessThan(10_000);
      expect(lines, detail).toHaveLength(1);
      expect(run.stderr, detail).not.toContain(SECRET);
      expect(run.stdout, detail).not.toContain(SECRET);
      return lines[0]!;
    };

    it('a URL of another database engine names RINGFLAG_DB', async () => {
      expect(await expectOneLineExit('mysql://x')).toMatch(/RINGFLAG_DB/);
    });

    it('a wrong password says so, without the password', async () => {
      const line = await expectOneLineExit(
        `postgres://ringflag_pw:${SECRET}@127.0.0.1:${postgres.port}/postgres`,
      );
      expect(line).toMatch(/password authentication failed/i);
    });

    it('a user that does not exist says so, without the password', async () => {
      const line = await expectOneLineExit(
        `postgres://nobody_here:${SECRET}@127.0.0.1:${postgres.port}/postgres`,
      );
      expect(line).toMatch(/nobody_here/);
    });

    it('a host and port where nothing listens says the database is unreachable', async () => {
      const line = await expectOneLineExit(
        `postgres://ringflag:${SECRET}@127.0.0.1:${await freePort()}/ringflag`,
      );
      expect(line).toMatch(/database|postgres/i);
    });
  });
});
