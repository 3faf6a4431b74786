import { ConflictError, type Problem } from '../../errors/index.js';
import type { ChangeRequest } from './change-request.js';

/**
 * An approval that found the config moved since the request's base version (409). The request is
 * now `conflict`; the problem carries it as `changeRequest`, and `detail` says why.
 */
export class ChangeRequestConflictError extends ConflictError {
  readonly changeRequest: ChangeRequest;

  constructor(changeRequest: ChangeRequest) {
    super(`Change request ${changeRequest.id} conflicts: ${changeRequest.conflict ?? 'the config changed'}`);
    this.changeRequest = changeRequest;
  }

  override toJSON(): Problem & { changeRequest: ChangeRequest } {
    return { ...super.toJSON(), changeRequest: this.changeRequest };
  }
}
