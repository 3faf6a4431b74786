import type { FlagConfig, References } from '@ringflag/sdk-node/engine';
import type { Queryable } from '../../db/client.js';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import { buildConfig, type Located, locateConfig } from '../flag-configs/apply-config.js';
import { referencesIn } from '../flag-configs/references.js';
import { composeConfig } from '../flags/flag-model.js';
import {
  type ChangeRequest,
  type ChangeRequestRecord,
  type ChangeRequestState,
  type ConfigConflict,
  type ConfigOperation,
  changeRequestView,
} from './change-request.js';
import { findCreationBefore } from './change-requests.store.js';
import { applyOperations, diffConfig } from './config-operations.js';

/** States in which a request may still apply: its `proposed` is worked out against the live config. */
const OPEN: readonly ChangeRequestState[] = ['pending', 'approved', 'scheduled'];

/**
 * A config or toggle request's operations. A request stored as a snapshot, before requests held
 * operations, gets those that turn the config it was proposed against (its `change_request.create`
 * audit event's `before`) into its proposal; without that event, those against the live config.
 */
export async function operationsOf(q: Queryable, record: ChangeRequestRecord): Promise<ConfigOperation[]> {
  const stored = record.row.operations as ConfigOperation[] | null;
  if (stored !== null) return stored;
  const proposed = record.row.proposed as FlagConfig;
  const flag = record.flag ?? '';
  let before = (await findCreationBefore(q, record.row.id, flag)) as FlagConfig | undefined;
  if (before === undefined) {
    const { flag: row, config } = await locateConfig(q, flag, record.environment ?? '');
    before = composeConfig(row, config);
  }
  return diffConfig(before, proposed);
}

/**
 * The validated config that operations make of the live one (the next version); throws a
 * validation error (400) when it would be invalid.
 */
export function proposalOf(
  q: Queryable,
  located: Located,
  operations: readonly ConfigOperation[],
  references?: References,
) {
  const live = composeConfig(located.flag, located.config);
  return buildConfig(
    q,
    located,
    applyOperations(live, operations).config,
    'The change request would make an invalid config',
    references,
  );
}

/** What presenting requests reads once per list: live configs by `flag\nenvironment`, references by environment id. */
export interface LiveConfigs {
  configs: Map<string, Promise<Located | undefined>>;
  references: Map<number, Promise<References>>;
}

/** An empty {@link LiveConfigs}, for one list or one request. */
export function liveConfigs(): LiveConfigs {
  return { configs: new Map(), references: new Map() };
}

/**
 * The validator's errors about the config operations make, as conflicts: `path` the field
 * (`prerequisites`) or the rule by id (`rules.<id>`), as conflicts name them; `message` says where in
 * it (`clauses[0].values[0]: unknown segment "beta"`).
 */
export function invalidConflicts(
  error: ValidationError,
  config: Pick<FlagConfig, 'rules'>,
): ConfigConflict[] {
  if (error.errors.length === 0) return [{ path: '', message: error.message }];
  return error.errors.map(({ path, message }) => {
    const rule = /^rules\[(\d+)\]\.?(.*)$/.exec(path);
    const id = rule ? config.rules[Number(rule[1])]?.id : undefined;
    if (rule && id !== undefined) {
      return { path: `rules.${id}`, message: rule[2] ? `${rule[2]}: ${message}` : message };
    }
    const field = /^([A-Za-z]+)[.[]?(.*)$/.exec(path);
    if (!field?.[2]) return { path, message };
    return { path: field[1] ?? path, message: `${path}: ${message}` };
  });
}

/**
 * What would stop operations from applying to the live config now: the fields and rules that moved
 * underneath them, and — the config they would make failing the engine's validator (a segment or
 * prerequisite flag gone since, a prerequisite cycle) — its errors ({@link invalidConflicts}). Empty
 * when none.
 */
export async function conflictsNow(
  q: Queryable,
  located: Located,
  operations: readonly ConfigOperation[],
  references?: References,
): Promise<ConfigConflict[]> {
  const applied = applyOperations(composeConfig(located.flag, located.config), operations);
  try {
    await proposalOf(q, located, operations, references);
    return applied.conflicts;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return [...applied.conflicts, ...invalidConflicts(error, applied.config)];
  }
}

/**
 * The wire form of a request as it is now. A config or toggle request carries its operations, and
 * while it may still apply its `proposed` is the live config with them applied (conflicting ones too,
 * as the author asked) and its `conflicts` what would stop it from applying now (null: nothing);
 * otherwise what was stored. Operations that no longer apply are described, never thrown. `live`
 * shares reads across a list.
 */
export async function presentChangeRequest(
  q: Queryable,
  record: ChangeRequestRecord,
  live: LiveConfigs = liveConfigs(),
): Promise<ChangeRequest> {
  const { row } = record;
  if (row.kind !== 'config' && row.kind !== 'toggle') return changeRequestView(record);
  const operations = await operationsOf(q, record);
  if (!OPEN.includes(row.state)) return changeRequestView(record, { operations });
  const key = `${record.flag}\n${record.environment}`;
  let read = live.configs.get(key);
  if (read === undefined) {
    read = locateConfig(q, record.flag ?? '', record.environment ?? '').catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    live.configs.set(key, read);
  }
  const located = await read;
  if (located === undefined) return changeRequestView(record, { operations });
  let references = live.references.get(located.env.id);
  if (references === undefined) {
    references = referencesIn(q, located.env.id);
    live.references.set(located.env.id, references);
  }
  const current = composeConfig(located.flag, located.config);
  const proposed = { ...applyOperations(current, operations).config, version: current.version + 1 };
  const conflicts = await conflictsNow(q, located, operations, await references);
  return changeRequestView(record, {
    operations,
    proposed,
    conflicts: conflicts.length > 0 ? conflicts : null,
  });
}
