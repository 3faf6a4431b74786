import type { ApiResponse } from './api-client.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { ChangeRequest, FlagConfig } from './wire.js';

/** What a config write did: applied at once (200), or became a change request (202). */
export type WriteOutcome =
  | { kind: 'applied'; config: FlagConfig }
  | { kind: 'pending'; changeRequest: ChangeRequest };

/** Reads the answer of `PUT …/environments/{env}` or `POST …/toggle`. */
export function outcomeOf(response: ApiResponse<FlagConfig | ChangeRequest>): WriteOutcome {
  if (response.status === 202) return { kind: 'pending', changeRequest: response.body as ChangeRequest };
  return { kind: 'applied', config: response.body as FlagConfig };
}

/**
 * How a change request reads: "change request #4 awaits approval", or "… is scheduled for …".
 *
 * @example
 * pendingLine(changeRequest); // 'change request #4 awaits approval'
 */
export function pendingLine(changeRequest: ChangeRequest): string {
  if (changeRequest.state === 'scheduled' && changeRequest.applyAt) {
    return `change request #${changeRequest.id} is scheduled for ${changeRequest.applyAt}`;
  }
  if (changeRequest.state === 'pending') return `change request #${changeRequest.id} awaits approval`;
  return `change request #${changeRequest.id} is ${changeRequest.state}`;
}

/** Exit 6 for a change that waits, when the pipeline asked to fail on it. */
export function pendingExit(pending: boolean, failOnPending: boolean): ExitCode {
  return pending && failOnPending ? EXIT.pendingApproval : EXIT.ok;
}
