import type { ApiClient } from './api-client.js';
import { CliError } from './cli-error.js';
import { sameValue } from './diff.js';
import { type Targeting, targetingOf } from './rollout.js';
import type { ChangeRequest, ConfigChangeRequest } from './wire.js';

/** States in which a change request will still (or may still) apply. */
const OPEN_STATES = new Set(['pending', 'approved', 'scheduled']);

/**
 * The open change requests on one flag in one environment, newest first; none when the server has no
 * change requests (an older server answers 404 for the route).
 */
export async function openRequests(
  api: ApiClient,
  flag: string,
  env: string,
): Promise<ConfigChangeRequest[]> {
  try {
    const { items } = await api.get<{ items: ChangeRequest[] }>('/api/v1/change-requests', {
      state: [...OPEN_STATES].join(','),
      flag,
      environment: env,
    });
    // The list also holds global (flag-level) requests gated by this environment: keep config ones.
    return items.filter(
      (request): request is ConfigChangeRequest =>
        (request.kind === 'config' || request.kind === 'toggle') &&
        OPEN_STATES.has(request.state) &&
        request.flag === flag &&
        request.environment === env,
    );
  } catch (error) {
    if (error instanceof CliError && error.status === 404) return [];
    throw error;
  }
}

/**
 * An open change request that already proposes `wanted`, so that running the same promote or apply
 * twice does not file the same request twice.
 */
export async function matchingRequest(
  api: ApiClient,
  flag: string,
  env: string,
  wanted: Targeting,
): Promise<ConfigChangeRequest | undefined> {
  const requests = await openRequests(api, flag, env);
  return requests.find((request) => sameValue(targetingOf(request.proposed), targetingOf(wanted)));
}
