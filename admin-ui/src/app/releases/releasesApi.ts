import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { APIError, api } from '../../api';
import { useToast } from '../../components/common/Toasts';
import type {
  Environment,
  ExposureSeries,
  Flag,
  NewReleasePlan,
  ReleaseApproval,
  ReleasePlan,
  ReleasePlanResult,
  ReleasePreview,
  ReleaseStage,
} from '../../types';

const enc = encodeURIComponent;
const releasePath = (key: string, env: string) => `/flags/${enc(key)}/environments/${enc(env)}/release`;

export type {
  GuardIncident,
  NewReleasePlan,
  ReleaseApproval,
  ReleaseGuard,
  ReleaseOnTrip,
  ReleasePlan,
  ReleasePlanResult,
  ReleasePreview,
  ReleasePreviewStage,
  ReleaseStage,
} from '../../types';

/**
 * The guard's defaults, the same in the CLI: at most 5 events per 100 exposures of the released
 * variation (people give the rate in percent of exposures; the wire's `maxRate` is that over 100),
 * judged after 100 exposures.
 */
export const GUARD_DEFAULTS: Readonly<{ maxPercent: number; minExposures: number }> = {
  maxPercent: 5,
  minExposures: 100,
};

export type ReleaseAction = 'advance' | 'pause' | 'resume' | 'rollback' | 'approve';

/**
 * The template staff → 1% → 10% → 50% → 100%, each ring holding `holdMinutes` before the next.
 *
 * @example
 * releaseTemplate(['staff'], 60); // 5 stages; the first serves the staff segment only
 */
export function releaseTemplate(staffSegments: readonly string[], holdMinutes: number): ReleaseStage[] {
  const hold = holdMinutes > 0 ? { holdMinutes } : {};
  return [
    staffSegments.length > 0
      ? { name: 'staff', segments: [...staffSegments], percentage: 0, ...hold }
      : { name: 'staff', percentage: 0, ...hold },
    { name: 'canary', percentage: 1, ...hold },
    { name: 'early adopters', percentage: 10, ...hold },
    { name: 'half', percentage: 50, ...hold },
    { name: 'everyone', percentage: 100, ...hold },
  ];
}

/** The time window each stage was in effect, from the plan's stage history (null = still running). */
export function ringWindows(plan: ReleasePlan): { stage: number; since: string; until: string | null }[] {
  const history = plan.stageHistory ?? [];
  const finished = plan.state === 'completed' || plan.state === 'rolled_back';
  return history.map((entry, i) => ({
    stage: entry.stage,
    since: entry.startedAt,
    until: history[i + 1]?.startedAt ?? (finished ? plan.updatedAt : null),
  }));
}

/** The newest plan of a flag in an environment, or null when it has none. */
export function useReleasePlan(key: string, env: string) {
  return useQuery({
    queryKey: ['release', key, env],
    queryFn: async () => {
      try {
        return await api.get<ReleasePlan>(releasePath(key, env));
      } catch (error) {
        if (error instanceof APIError && error.status === 404) return null;
        throw error;
      }
    },
    enabled: env !== '',
    refetchInterval: 15_000,
  });
}

/** Exposures of the released variation per ring, over each ring's time window. */
export function useRingExposures(plan: ReleasePlan | null | undefined) {
  const windows = plan ? ringWindows(plan) : [];
  return useQuery({
    queryKey: ['release-exposures', plan?.id, plan?.updatedAt],
    queryFn: async () => {
      const out = new Map<number, number>();
      if (!plan) return out;
      for (const window of windows) {
        const series = await api.get<ExposureSeries>(`/flags/${enc(plan.flag)}/exposures`, {
          environment: plan.environment,
          since: window.since,
          until: window.until ?? new Date().toISOString(),
        });
        out.set(window.stage, series.totals[plan.variation] ?? 0);
      }
      return out;
    },
    enabled: windows.length > 0,
    refetchInterval: 30_000,
  });
}

function useRefresh(key: string, env: string) {
  const queryClient = useQueryClient();
  return async (plan: ReleasePlan) => {
    queryClient.setQueryData(['release', key, env], plan);
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ['config', key, env] }),
      queryClient.invalidateQueries({ queryKey: ['insights'] }),
      queryClient.invalidateQueries({ queryKey: ['audit'] }),
    ]);
  };
}

/**
 * Starts a plan, and says in a toast what starting it did (or why it failed). The toast comes from
 * here, not from the form, because the started plan replaces the form.
 */
export function useStartRelease(flag: Pick<Flag, 'key' | 'name'>, env: Pick<Environment, 'key' | 'name'>) {
  const refresh = useRefresh(flag.key, env.key);
  const toast = useToast();
  return useMutation({
    mutationFn: (input: NewReleasePlan) => api.post<ReleasePlanResult>(releasePath(flag.key, env.key), input),
    onSuccess: (plan) => {
      toast('success', `Release of ${flag.name} started in ${env.name}: ${plan.summary}`);
      return refresh(plan);
    },
    onError: (error) => toast('error', error.message),
  });
}

/**
 * Advance, pause, resume, roll back, or approve the next gated stage (with a comment). A rollback
 * answers with `warnings` too.
 */
export function useReleaseAction(key: string, env: string) {
  const refresh = useRefresh(key, env);
  return useMutation({
    mutationFn: (input: {
      action: ReleaseAction;
      comment?: string;
    }): Promise<ReleasePlanResult | ReleasePlan> =>
      input.action === 'approve'
        ? approveStage(key, env, input.comment)
        : api.post<ReleasePlanResult | ReleasePlan>(`${releasePath(key, env)}/${input.action}`),
    onSuccess: refresh,
  });
}

/**
 * Approves the next gated stage of the flag's active plan in an environment (an approver other than
 * the plan's creator). The Changes inbox and the Release tab both use it.
 *
 * @example
 * await approveStage('new-checkout', 'production', 'canary looks fine');
 */
export function approveStage(flag: string, env: string, comment?: string): Promise<ReleasePlan> {
  return api.post<ReleasePlan>(`${releasePath(flag, env)}/approve`, comment ? { comment } : undefined);
}

/** Release stages awaiting an approval, across flags and environments. */
export async function listReleaseApprovals(): Promise<ReleaseApproval[]> {
  const page = await api.get<{ items: ReleaseApproval[] }>('/release-approvals');
  return page.items;
}

/** What starting a plan would do: the warnings and each stage's config. Nothing is written. */
export function previewRelease(flag: string, env: string, input: NewReleasePlan): Promise<ReleasePreview> {
  return api.post<ReleasePreview>(`${releasePath(flag, env)}/preview`, input);
}
