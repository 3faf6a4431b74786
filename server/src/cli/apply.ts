import { type ApiClient, type ApiResponse, seg } from './api-client.js';
import { diffTargeting, sameValue } from './diff.js';
import type { ConfigPlan, FlagPlan, Plan } from './plan.js';
import { type Targeting, targetingOf } from './rollout.js';
import type { ChangeRequest, FlagConfig } from './wire.js';
import { outcomeOf } from './write-outcome.js';

/** One write `apply` made. */
export interface AppliedStep {
  resource: 'segment' | 'flag' | 'config';
  key: string;
  environment?: string;
  action: 'create' | 'update' | 'unarchive';
  result: 'applied' | 'pending';
  version?: number;
  changeRequest?: Pick<ChangeRequest, 'id' | 'state' | 'applyAt'>;
}

/** Sent with every config write: the API's `comment` and `applyAt`, when given. */
export interface WriteExtras {
  comment?: string;
  applyAt?: string;
}

/**
 * Carries out a plan through the admin API, in an order that keeps references valid: segments, then
 * flags (created flags start off everywhere), then environment configs — each with `If-Match` on the
 * version the plan read, so a change made meanwhile stops the apply (exit 4) instead of being
 * overwritten. Where approval is required a config write becomes a change request.
 */
export async function applyPlan(
  api: ApiClient,
  plan: Plan,
  extras: WriteExtras = {},
): Promise<AppliedStep[]> {
  const steps: AppliedStep[] = [];
  for (const segment of plan.segments) {
    if (segment.action === 'create') {
      const { body } = await api.request<{ version: number }>('POST', '/api/v1/segments', {
        body: { key: segment.key, ...segment.body },
      });
      steps.push({
        resource: 'segment',
        key: segment.key,
        action: 'create',
        result: 'applied',
        version: body.version,
      });
    } else if (segment.action === 'update') {
      const response = await api.request<{ version: number } | ChangeRequest>(
        'PUT',
        `/api/v1/segments/${seg(segment.key)}`,
        { body: segment.body, ifMatch: segment.version },
      );
      steps.push({ resource: 'segment', key: segment.key, action: 'update', ...stepResult(response) });
    }
  }
  for (const flag of plan.flags) await applyFlag(api, flag, steps);
  for (const flag of plan.flags) {
    for (const config of flag.environments) {
      const step = await applyConfig(api, flag.key, config, extras);
      if (step) steps.push(step);
    }
  }
  return steps;
}

async function applyFlag(api: ApiClient, flag: FlagPlan, steps: AppliedStep[]): Promise<void> {
  const path = `/api/v1/flags/${seg(flag.key)}`;
  if (flag.action === 'create') {
    const { environments: _environments, ...fields } = flag.desired;
    await api.request('POST', '/api/v1/flags', { body: fields });
    steps.push({ resource: 'flag', key: flag.key, action: 'create', result: 'applied' });
    return;
  }
  // Each write names the version the plan read, so a flag changed meanwhile stops the apply.
  let version = flag.version;
  if (flag.unarchive) {
    const response = await api.request<{ version: number } | ChangeRequest>('POST', `${path}/unarchive`, {
      ifMatch: version,
    });
    const step = stepResult(response);
    steps.push({ resource: 'flag', key: flag.key, action: 'unarchive', ...step });
    // A pending unarchive leaves the flag as it was: the field changes below are checked against it.
    if (step.result === 'applied') version = step.version;
  }
  const changes = Object.fromEntries(
    flag.changes.filter((change) => change.path !== 'archived').map((change) => [change.path, change.after]),
  );
  if (Object.keys(changes).length > 0) {
    const response = await api.request<{ version: number } | ChangeRequest>('PATCH', path, {
      body: changes,
      ifMatch: version,
    });
    steps.push({ resource: 'flag', key: flag.key, action: 'update', ...stepResult(response) });
  }
}

/** A flag or segment write's result: applied (with the new version), or a change request (202). */
function stepResult(
  response: ApiResponse<{ version: number } | ChangeRequest>,
): Pick<AppliedStep, 'result' | 'version' | 'changeRequest'> {
  if (response.status === 202) {
    const { id, state, applyAt } = response.body as ChangeRequest;
    return { result: 'pending', changeRequest: { id, state, applyAt } };
  }
  return { result: 'applied', version: (response.body as { version: number }).version };
}

async function applyConfig(
  api: ApiClient,
  flagKey: string,
  config: ConfigPlan,
  extras: WriteExtras,
): Promise<AppliedStep | undefined> {
  if (config.action !== 'create' && config.action !== 'update') return undefined;
  const path = `/api/v1/flags/${seg(flagKey)}/environments/${seg(config.environment)}`;
  let version = config.version;
  let current: Targeting | undefined;
  if (config.action === 'create') {
    // A flag created just now: its configs are the server's defaults, so compare before writing.
    const existing = await api.get<FlagConfig>(path);
    if (sameValue(targetingOf(existing), config.desired)) return undefined;
    version = existing.version;
    current = targetingOf(existing);
  }
  const changes = current ? diffTargeting(current, config.desired) : config.changes;
  const onlyEnabled = changes.length === 1 && changes[0]!.path === 'enabled';
  // A change of on/off alone goes through the toggle, so that turning off stays the immediate kill switch.
  const response = onlyEnabled
    ? await api.request<FlagConfig | ChangeRequest>('POST', `${path}/toggle`, {
        body: { enabled: config.desired.enabled, ...extras },
      })
    : await api.request<FlagConfig | ChangeRequest>('PUT', path, {
        body: { ...config.desired, ...extras },
        ifMatch: version,
      });
  const outcome = outcomeOf(response);
  const base = {
    resource: 'config',
    key: flagKey,
    environment: config.environment,
    action: config.action,
  } as const;
  if (outcome.kind === 'pending') {
    const { id, state, applyAt } = outcome.changeRequest;
    return { ...base, result: 'pending', changeRequest: { id, state, applyAt } };
  }
  return { ...base, result: 'applied', version: outcome.config.version };
}
