import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { APIError, api } from '../../api';
import type { Actor, ExposureSeries } from '../../types';

const enc = encodeURIComponent;
const releasePath = (key: string, env: string) => `/flags/${enc(key)}/environments/${enc(env)}/release`;

/** One ring of a plan. */
export interface ReleaseStage {
  name: string;
  segments?: string[];
  percentage: number;
  holdMinutes?: number;
  approval?: boolean;
}

export interface ReleaseGuard {
  event: string;
  maxRate: number;
  minExposures: number;
}

export interface GuardIncident {
  at: string;
  event: string;
  rate: number;
  exposures: number;
  events: number;
  maxRate: number;
}

/** A release plan as `GET …/release` returns it. */
export interface ReleasePlan {
  id: number;
  flag: string;
  environment: string;
  variation: string;
  state: 'running' | 'paused' | 'completed' | 'rolled_back';
  stages: ReleaseStage[];
  /** -1 while the first stage awaits its approval. */
  currentStage: number;
  stageStartedAt: string;
  nextAdvanceAt: string | null;
  guard: ReleaseGuard | null;
  approvals: { stage: number; by: Actor; at: string; comment: string | null }[];
  incident: GuardIncident | null;
  createdBy: Actor;
  createdAt: string;
  updatedAt: string;
  stageHistory?: { stage: number; startedAt: string }[];
}

export interface NewReleasePlan {
  variation: string;
  stages: ReleaseStage[];
  guard?: ReleaseGuard;
}

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

/** Starts a plan. */
export function useStartRelease(key: string, env: string) {
  const refresh = useRefresh(key, env);
  return useMutation({
    mutationFn: (input: NewReleasePlan) => api.post<ReleasePlan>(releasePath(key, env), input),
    onSuccess: refresh,
  });
}

/** Advance, pause, resume, roll back, or approve the next gated stage (with a comment). */
export function useReleaseAction(key: string, env: string) {
  const refresh = useRefresh(key, env);
  return useMutation({
    mutationFn: (input: { action: ReleaseAction; comment?: string }) =>
      api.post<ReleasePlan>(
        `${releasePath(key, env)}/${input.action}`,
        input.action === 'approve' && input.comment ? { comment: input.comment } : undefined,
      ),
    onSuccess: refresh,
  });
}
