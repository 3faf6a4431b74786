/**
 * End to end: the real server (a child process on 127.0.0.1, a real SQLite file), the real Node SDK
 * streaming from it, and the admin API in between.
 */
import { readFileSync } from 'node:fs';
import {
  type Context,
  type EvaluationDetail,
  type JsonValue,
  Ringflag,
  type SdkPayload,
} from '@ringflag/sdk-node';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient, type RingflagProcess, startRingflagProcess } from './support/ringflag-process.js';

interface CaseFile {
  payload: SdkPayload;
  cases: { name: string; flag: string; context: Context; default: JsonValue; expect: EvaluationDetail }[];
}
const caseFile = JSON.parse(
  readFileSync(new URL('./cases/evaluation.json', import.meta.url), 'utf8'),
) as CaseFile;

const quiet = { warn: () => {}, error: () => {} };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: Parameters<typeof startRingflagProcess>[0] = {}): Promise<RingflagProcess> {
  const started = await startRingflagProcess(options);
  cleanups.push(() => started.kill());
  return started;
}

function sdk(baseUrl: string, sdkKey: string): Ringflag {
  const client = new Ringflag({ sdkKey, baseUrl, logger: quiet });
  cleanups.push(() => client.close());
  return client;
}

/** Resolves with the next `change` event for `key` that satisfies `until`. */
function nextChange(client: Ringflag, key: string, until: () => boolean = () => true): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on('change', (change) => {
      if (change.key === key && until()) {
        off();
        resolve();
      }
    });
  });
}

/** Loads the shared case file's segments and flags into an environment through the admin API. */
async function loadCases(admin: AdminClient, environment: string): Promise<string[]> {
  for (const segment of Object.values(caseFile.payload.segments)) {
    const { key, included, excluded, rules } = segment as Record<string, unknown>;
    await admin.request('POST', '/api/v1/segments', { key, included, excluded, rules });
  }
  // The case file keeps one deliberately malformed flag; the API rightly refuses it.
  const flags = Object.values(caseFile.payload.flags).filter((flag) => flag.key !== 'broken-weights');
  for (const flag of flags) {
    await admin.request('POST', '/api/v1/flags', {
      key: flag.key,
      name: flag.key,
      kind: flag.kind,
      variations: flag.variations,
      clientSide: flag.clientSide ?? false,
    });
  }
  // Prerequisites first, so that each config only names flags whose configs exist.
  const order = [...flags].sort((a, b) => (a.prerequisites?.length ?? 0) - (b.prerequisites?.length ?? 0));
  for (const flag of order) {
    const { enabled, offVariation, prerequisites, targets, rules, fallthrough } = flag;
    await admin.putConfig(flag.key, environment, {
      enabled,
      offVariation,
      prerequisites,
      targets,
      rules,
      fallthrough,
    });
  }
  return flags.map((flag) => flag.key);
}

describe('Node SDK against the real server', () => {
  it('sees flags created and changed through the admin API, live', async () => {
    const rf = await server();
    const admin = await AdminClient.login(rf.base);
    const flags = sdk(rf.base, await admin.createSdkKey('development', 'server'));
    await flags.ready({ timeoutMs: 10_000 });

    const created = nextChange(flags, 'e2e-flag');
    await admin.request('POST', '/api/v1/flags', { key: 'e2e-flag', name: 'E2E', kind: 'boolean' });
    await created;
    expect(flags.variationDetail('e2e-flag', { key: 'u1' }, true)).toEqual({
      value: false,
      variant: 'off',
      reason: { kind: 'OFF' },
    });

    const on = nextChange(flags, 'e2e-flag', () => flags.isEnabled('e2e-flag', { key: 'u1' }));
    await admin.request('POST', '/api/v1/flags/e2e-flag/environments/development/toggle', { enabled: true });
    await on;

    const ruled = nextChange(flags, 'e2e-flag', () =>
      flags.isEnabled('e2e-flag', { key: 'u1', groups: ['beta'] }),
    );
    await admin.putConfig('e2e-flag', 'development', {
      enabled: true,
      offVariation: 'off',
      rules: [
        {
          id: 'beta',
          clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'off' },
    });
    await ruled;
    expect(flags.isEnabled('e2e-flag', { key: 'u1' })).toBe(false);
    expect(flags.variationDetail('e2e-flag', { key: 'u1', groups: ['beta'] }, false).reason).toEqual({
      kind: 'RULE_MATCH',
      ruleId: 'beta',
      ruleIndex: 0,
    });
    // Another environment's change never reaches this stream.
    expect(flags.revision).toBeGreaterThan(0);
  });

  it('answers the shared cases exactly as the server’s evaluate endpoint does', async () => {
    const rf = await server();
    const admin = await AdminClient.login(rf.base);
    const keys = await loadCases(admin, 'staging');
    const flags = sdk(rf.base, await admin.createSdkKey('staging', 'server'));
    await flags.ready({ timeoutMs: 10_000 });
    for (const key of keys) expect(flags.allFlagsDetail({}), key).toHaveProperty(key);

    let compared = 0;
    for (const c of caseFile.cases.filter((c) => c.flag !== 'broken-weights')) {
      const local = flags.variationDetail(c.flag, c.context, c.default);
      expect(local, c.name).toEqual(c.expect);
      if (c.expect.reason.kind === 'ERROR') continue; // the endpoint takes no typed default
      const remote = await admin.request<{ results: Record<string, EvaluationDetail> }>(
        'POST',
        '/api/v1/environments/staging/evaluate',
        { context: c.context, flags: [c.flag] },
      );
      // The admin endpoint also names the matched rule (`ruleName`); the SDK's detail has only its id.
      const { ruleName: _name, ...detail } = remote.results[c.flag] as EvaluationDetail & {
        ruleName?: string;
      };
      expect(detail, c.name).toEqual(local);
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
  });

  it('keeps answering while the server is down, and catches up after a restart on the same database', async () => {
    const first = await server();
    const admin = await AdminClient.login(first.base);
    await admin.request('POST', '/api/v1/flags', { key: 'resilient', name: 'Resilient', kind: 'boolean' });
    await admin.request('POST', '/api/v1/flags/resilient/environments/development/toggle', { enabled: true });
    const sdkKey = await admin.createSdkKey('development', 'server');
    const flags = sdk(first.base, sdkKey);
    await flags.ready({ timeoutMs: 10_000 });
    expect(flags.isEnabled('resilient', { key: 'u1' })).toBe(true);

    await first.kill();
    expect(flags.isEnabled('resilient', { key: 'u1' })).toBe(true);

    const second = await server({ port: first.port, dbPath: first.dbPath });
    const again = await AdminClient.login(second.base);
    const caughtUp = nextChange(flags, 'resilient', () => !flags.isEnabled('resilient', { key: 'u1' }));
    // Whether the SDK is already back (it gets a patch) or still backing off (a fresh put on reconnect,
    // since the new process has no patch history), it must end up with the change.
    await again.request('POST', '/api/v1/flags/resilient/environments/development/toggle', {
      enabled: false,
    });
    await caughtUp;
    expect(flags.variationDetail('resilient', { key: 'u1' }, true).reason).toEqual({ kind: 'OFF' });
  });
});
