/**
 * A child process of the cluster benchmark: the floor of an audited write on PostgreSQL. Plain
 * node-postgres clients (no HTTP, no ORM) run the statement sequence of a Ringflag toggle against
 * small tables of their own: a lookup outside the transaction, then BEGIN, an advisory lock,
 * three reads, an update, the chain head read and an insert after it, a revision bump, a change-log
 * insert, pg_notify and COMMIT — 13 round trips, 10 of them under the lock. What this achieves is
 * what the design (one lock held over these round trips) allows on this machine, whatever the code.
 *
 * argv: database URL, connections, warm-up ms, timed ms. Sends `{ type: 'done', ok, seconds, p50, p99 }`.
 */
import pg from 'pg';

const [url = '', connectionsArg = '8', warmupArg = '0', durationArg = '1000'] = process.argv.slice(2);
const connections = Number(connectionsArg);
const warmupMs = Number(warmupArg);
const durationMs = Number(durationArg);
/** Not Ringflag's lock key: the floor runs in a database of its own anyway. */
const LOCK = 7_000_001;

const setup = new pg.Client({ connectionString: url });
await setup.connect();
await setup.query(`
  create table if not exists floor_state (id int primary key, n int not null, doc json not null);
  create table if not exists floor_revision (id int primary key, revision int not null);
  create table if not exists floor_chain (id int primary key, hash text not null, body json not null);
  create table if not exists floor_changes (revision int primary key, patch json not null);
  insert into floor_state values (1, 0, '{}') on conflict do nothing;
  insert into floor_revision values (1, 0) on conflict do nothing;
`);
await setup.end();

const body = JSON.stringify({
  action: 'flag.config.enable',
  before: { enabled: false },
  after: { enabled: true },
});

async function write(client: pg.Client): Promise<void> {
  await client.query('select $1::text as session', ['token']);
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock($1::bigint)', [LOCK]);
    await client.query('select id, n from floor_state where id = $1', [1]);
    await client.query('select id, revision from floor_revision where id = $1', [1]);
    await client.query('select id, doc from floor_state where id = $1', [1]);
    await client.query('update floor_state set n = n + 1, doc = $2 where id = $1', [1, body]);
    const head = await client.query<{ id: number }>(
      'select id, hash from floor_chain order by id desc limit 1',
    );
    await client.query('insert into floor_chain (id, hash, body) values ($1, $2, $3)', [
      (head.rows[0]?.id ?? 0) + 1,
      'x'.repeat(64),
      body,
    ]);
    const revision = await client.query<{ revision: number }>(
      'update floor_revision set revision = revision + 1 where id = $1 returning revision',
      [1],
    );
    await client.query('insert into floor_changes (revision, patch) values ($1, $2)', [
      revision.rows[0]!.revision,
      body,
    ]);
    await client.query('select pg_notify($1, $2)', ['floor', '{"e":"development","r":1}']);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

const latencies: number[] = [];
let ok = 0;
const started = performance.now();
const timedFrom = started + warmupMs;
const deadline = timedFrom + durationMs;
await Promise.all(
  Array.from({ length: connections }, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      while (performance.now() < deadline) {
        const sentAt = performance.now();
        await write(client);
        const doneAt = performance.now();
        if (doneAt >= timedFrom && doneAt <= deadline) {
          ok++;
          latencies.push(doneAt - sentAt);
        }
      }
    } finally {
      await client.end();
    }
  }),
);
latencies.sort((a, b) => a - b);
const at = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
process.send?.({ type: 'done', ok, seconds: durationMs / 1000, p50: at(50), p99: at(99) });
