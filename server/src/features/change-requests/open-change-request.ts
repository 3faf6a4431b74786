import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { Write } from '../../db/unit-of-work.js';
import type { Located } from '../flag-configs/apply-config.js';
import { composeConfig } from '../flags/flag-model.js';
import { type ChangeRequest, type ChangeRequestKind, changeRequestView } from './change-request.js';
import { insertChangeRequest } from './change-requests.store.js';
import type { Requester } from './requester.js';

/** What a write that cannot apply at once leaves behind. */
export interface NewChangeRequest {
  located: Located;
  kind: ChangeRequestKind;
  /** The validated config that would result. */
  proposed: FlagConfig;
  requester: Requester;
  comment?: string;
  /** ISO 8601 (UTC), in the future. */
  applyAt?: string;
  /** Whether a second person must approve it (the environment requires approval). */
  needsApproval: boolean;
}

/**
 * Records a change request inside a write, with its audit event (`change_request.create`, before =
 * the current config, after = the proposal). Without approval it is `scheduled` at once.
 *
 * @example
 * runWrite(deps, requester.actor, (w) => openChangeRequest(w, { located, kind: 'config', proposed, … }));
 */
export function openChangeRequest(w: Write, input: NewChangeRequest): ChangeRequest {
  const { flag, env, config } = input.located;
  const row = insertChangeRequest(w.tx, {
    flagId: flag.id,
    environmentId: env.id,
    kind: input.kind,
    state: input.needsApproval ? 'pending' : 'scheduled',
    proposed: input.proposed,
    baseVersion: config.version,
    author: input.requester.actor,
    authorUserId: input.requester.userId,
    comment: input.comment ?? null,
    applyAt: input.applyAt ?? null,
    createdAt: w.now,
    updatedAt: w.now,
  });
  w.audit({
    action: 'change_request.create',
    resource: { type: 'flag', key: flag.key, environment: env.key },
    before: composeConfig(flag, config),
    after: input.proposed,
    comment: input.comment,
    changeRequestId: String(row.id),
  });
  return changeRequestView({ row, flag: flag.key, environment: env.key });
}
