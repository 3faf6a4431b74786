import type { FlagConfig } from '@ringflag/sdk-node/engine';
import { PreconditionFailedError, ValidationError } from '../../errors/index.js';
import { runWrite, type Write, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { canonicalJson } from '../audit/canonical-json.js';
import { actorOf, type Principal } from '../auth/principal.js';
import type { ChangeRequest } from '../change-requests/change-request.js';
import { diffConfig } from '../change-requests/config-operations.js';
import { requestConfigChange } from '../change-requests/open-change-request.js';
import { requesterOf } from '../change-requests/requester.js';
import { composeConfig } from '../flags/flag-model.js';
import { buildConfig, type ConfigInput, type Located, locateConfig, writeConfig } from './apply-config.js';

export type { ConfigInput } from './apply-config.js';

/** Options of a write through the API: why, and when it should take effect. */
export interface WriteOptions {
  comment?: string;
  /** ISO 8601; must be in the future. The change becomes a (scheduled) change request. */
  applyAt?: string;
}

/** What a write through the API did: applied at once, or left a change request (HTTP 202). */
export type WriteOutcome =
  | { kind: 'applied'; config: FlagConfig }
  | { kind: 'requested'; changeRequest: ChangeRequest };

/** Flag configs per environment: read, replace (optimistic concurrency), toggle. */
export interface FlagConfigService {
  get(flagKey: string, env: string): Promise<FlagConfig>;
  /**
   * Replaces a config at once, whatever the environment requires (seeding and system writes);
   * `expectedVersion` (from If-Match or the body) must be current.
   */
  put(
    actor: Actor,
    flagKey: string,
    env: string,
    input: ConfigInput,
    expectedVersion?: number,
  ): Promise<FlagConfig>;
  /** Turns a flag on or off at once, whatever the environment requires. */
  toggle(actor: Actor, flagKey: string, env: string, enabled: boolean, comment?: string): Promise<FlagConfig>;
  /**
   * A config write through the API (DESIGN §4): applied at once, or — where the environment requires
   * approval, or with `applyAt` — a change request holding what the author changed against the live
   * config (operations); where approval is required, those go into the author's pending request on the
   * flag in that environment if there is one. A write whose only change is turning the flag off is the
   * kill switch, and applies at once. `principal` is the caller; a change request records the person
   * behind it.
   */
  submitConfig(
    principal: Principal,
    flagKey: string,
    env: string,
    input: ConfigInput,
    options?: WriteOptions & { expectedVersion?: number },
  ): Promise<WriteOutcome>;
  /**
   * A toggle through the API: one `set enabled` operation, as {@link submitConfig}. Turning off
   * without `applyAt` is the kill switch: always immediate, and it leaves pending requests alone.
   */
  submitToggle(
    principal: Principal,
    flagKey: string,
    env: string,
    enabled: boolean,
    options?: WriteOptions,
  ): Promise<WriteOutcome>;
}

function checkVersion(located: Located, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== located.config.version) {
    throw new PreconditionFailedError(
      `The config is at version ${located.config.version}, not ${expectedVersion}; reload and reapply your change`,
    );
  }
}

/** Switches a config on or off inside a write (nothing when it already is). */
async function toggleNow(
  w: Write,
  located: Located,
  enabled: boolean,
  comment?: string,
): Promise<FlagConfig> {
  const current = composeConfig(located.flag, located.config);
  if (current.enabled === enabled) return current;
  return writeConfig(
    w,
    located,
    { ...current, enabled, version: current.version + 1 },
    { action: enabled ? 'flag.config.enable' : 'flag.config.disable', comment },
  );
}

/** Whether `next` differs from the current config only by being switched off. */
function onlyTurnsOff(located: Located, next: FlagConfig): boolean {
  const current = composeConfig(located.flag, located.config);
  if (!current.enabled || next.enabled) return false;
  return canonicalJson({ ...current, enabled: false, version: next.version }) === canonicalJson(next);
}

/**
 * What the flag config service needs: writes, reads on the database, and the body limit (which
 * bounds what a change request may grow to).
 */
export type FlagConfigServiceDeps = WriteDeps & { bodyLimitBytes: number };

export function createFlagConfigService(deps: FlagConfigServiceDeps): FlagConfigService {
  /** The normalised (UTC) `applyAt`, which must lie in the future. */
  const futureTime = (applyAt: string | undefined): string | undefined => {
    if (applyAt === undefined) return undefined;
    const at = new Date(applyAt);
    if (Number.isNaN(at.getTime())) {
      throw new ValidationError('applyAt is not a time', [{ path: 'applyAt', message: 'must be ISO 8601' }]);
    }
    if (at.getTime() <= deps.clock().getTime()) {
      throw new ValidationError('applyAt is in the past', [
        { path: 'applyAt', message: 'must be in the future' },
      ]);
    }
    return at.toISOString();
  };

  return {
    async get(flagKey, env) {
      const { flag, config } = await locateConfig(deps.database, flagKey, env);
      return composeConfig(flag, config);
    },

    put(actor, flagKey, envKey, input, expectedVersion) {
      return runWrite(deps, actor, async (w) => {
        const located = await locateConfig(w.tx, flagKey, envKey);
        checkVersion(located, expectedVersion);
        const next = await buildConfig(w.tx, located, input);
        return writeConfig(w, located, next, { action: 'flag.config.update' });
      });
    },

    toggle(actor, flagKey, envKey, enabled, comment) {
      return runWrite(deps, actor, async (w) =>
        toggleNow(w, await locateConfig(w.tx, flagKey, envKey), enabled, comment),
      );
    },

    async submitConfig(principal, flagKey, envKey, input, options = {}) {
      const applyAt = futureTime(options.applyAt);
      return runWrite(deps, actorOf(principal), async (w): Promise<WriteOutcome> => {
        const located = await locateConfig(w.tx, flagKey, envKey);
        checkVersion(located, options.expectedVersion);
        const next = await buildConfig(w.tx, located, input);
        const killSwitch = applyAt === undefined && onlyTurnsOff(located, next);
        if (killSwitch || (applyAt === undefined && !located.env.requireApproval)) {
          const config = await writeConfig(w, located, next, {
            action: killSwitch ? 'flag.config.disable' : 'flag.config.update',
            comment: options.comment,
          });
          return { kind: 'applied', config };
        }
        // What the author changed: the differences between the live config and theirs.
        const current = composeConfig(located.flag, located.config);
        const changeRequest = await requestConfigChange(w, {
          located,
          kind: 'config',
          operations: diffConfig(current, next),
          requester: await requesterOf(w.tx, principal),
          comment: options.comment,
          applyAt,
          needsApproval: located.env.requireApproval,
          bodyLimitBytes: deps.bodyLimitBytes,
        });
        // A config that changes nothing, with no request of the author's to add it to.
        if (!changeRequest) return { kind: 'applied', config: current };
        return { kind: 'requested', changeRequest };
      });
    },

    async submitToggle(principal, flagKey, envKey, enabled, options = {}) {
      const applyAt = futureTime(options.applyAt);
      return runWrite(deps, actorOf(principal), async (w): Promise<WriteOutcome> => {
        const located = await locateConfig(w.tx, flagKey, envKey);
        const current = composeConfig(located.flag, located.config);
        const { requireApproval } = located.env;
        // Turning off needs nobody's approval: mitigation must never wait (DESIGN §4).
        const needsApproval = enabled && requireApproval;
        if (applyAt === undefined && (current.enabled === enabled ? !requireApproval : !needsApproval)) {
          return { kind: 'applied', config: await toggleNow(w, located, enabled, options.comment) };
        }
        // Where approval is required, a toggle to the live state still goes into the author's
        // pending request, where it undoes their earlier toggle.
        const changeRequest = await requestConfigChange(w, {
          located,
          kind: 'toggle',
          operations: [{ op: 'set', field: 'enabled', before: current.enabled, after: enabled }],
          requester: await requesterOf(w.tx, principal),
          comment: options.comment,
          applyAt,
          needsApproval: applyAt === undefined ? requireApproval : needsApproval,
          bodyLimitBytes: deps.bodyLimitBytes,
        });
        if (!changeRequest) return { kind: 'applied', config: current };
        return { kind: 'requested', changeRequest };
      });
    },
  };
}
