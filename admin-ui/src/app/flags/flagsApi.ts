import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, request } from '../../api';
import { formatDateTime } from '../../lib/time';
import type {
  ChangeRequest,
  EvaluationResult,
  ExposureSeries,
  Flag,
  FlagConfig,
  FlagStates,
  NewFlag,
  Page,
  Targeting,
} from '../../types';

const enc = encodeURIComponent;
const configPath = (key: string, env: string) => `/flags/${enc(key)}/environments/${enc(env)}`;

/** Every flag (all pages), archived ones included; the list page filters. `enabled`: fetch at all. */
export function useFlags(enabled = true) {
  return useQuery({
    enabled,
    queryKey: ['flags'],
    queryFn: async () => {
      const all: Flag[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.get<Page<Flag>>('/flags', { limit: 500, cursor });
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
}

/** Each flag's config, last change and last evaluation per environment. */
export function useFlagStates() {
  return useQuery({
    queryKey: ['insights', 'flags'],
    queryFn: async () => {
      const { items } = await api.get<{ items: FlagStates[] }>('/insights/flags');
      return new Map(items.map((item) => [item.key, item]));
    },
  });
}

export function useFlag(key: string) {
  return useQuery({
    queryKey: ['flag', key],
    queryFn: () =>
      api.get<Flag & { environments: Record<string, { enabled: boolean; version: number }> }>(
        `/flags/${enc(key)}`,
      ),
    enabled: key !== '',
  });
}

export function useCreateFlag() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: NewFlag) => api.post<Flag>('/flags', input),
    onSuccess: () =>
      queryClient.invalidateQueries({ queryKey: ['flags'] }).then(() => invalidateStates(queryClient)),
  });
}

/**
 * What a flag-level write did: applied at once (200), or — where it would change what an environment
 * requiring approval serves (variations, browser exposure, archiving) — a change request (202).
 */
export type FlagWriteResult =
  | { kind: 'applied'; flag: Flag }
  | { kind: 'requested'; changeRequest: ChangeRequest };

/** A flag-level write: archive or restore, or changes to the global part with why (`comment`). */
export type FlagChangesInput = { archived?: boolean; comment?: string } & Partial<
  Pick<Flag, 'name' | 'description' | 'tags' | 'temporary' | 'clientSide' | 'variations'>
>;

/**
 * Changes a flag's global part (name, tags, variations…), or archives it, against the version this
 * page read (`If-Match`): a change someone made meanwhile is refused (412), not overwritten.
 */
export function useUpdateFlag(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (input: FlagChangesInput): Promise<FlagWriteResult> => {
      const version = queryClient.getQueryData<Flag>(['flag', key])?.version;
      const headers = version === undefined ? undefined : { 'if-match': `"${version}"` };
      const { archived, ...changes } = input;
      const response =
        archived !== undefined
          ? await request<Flag | ChangeRequest>(
              'POST',
              `/flags/${enc(key)}/${archived ? 'archive' : 'unarchive'}`,
              {
                body: {},
                headers,
              },
            )
          : await request<Flag | ChangeRequest>('PATCH', `/flags/${enc(key)}`, { body: changes, headers });
      return response.status === 202
        ? { kind: 'requested', changeRequest: response.body as ChangeRequest }
        : { kind: 'applied', flag: response.body as Flag };
    },
    onSuccess: async (result) => {
      if (result.kind === 'applied') {
        queryClient.setQueryData(['flag', key], (old: object | undefined) => ({ ...old, ...result.flag }));
        // New variations or browser visibility reach every environment's config (a new version there).
        await queryClient.invalidateQueries({ queryKey: ['config', key] });
        await queryClient.invalidateQueries({ queryKey: ['audit'] });
      }
      await queryClient.invalidateQueries({ queryKey: ['flags'] });
      await queryClient.invalidateQueries({ queryKey: ['change-requests'] });
    },
  });
}

/** One flag's config in one environment. */
export function useConfig(key: string, env: string) {
  return useQuery({
    queryKey: ['config', key, env],
    queryFn: () => api.get<FlagConfig>(configPath(key, env)),
    enabled: env !== '',
  });
}

/** Every environment's config of one flag (compare, promote). */
export function useConfigs(key: string, envs: readonly string[]) {
  return useQuery({
    queryKey: ['configs', key, envs],
    queryFn: async () => {
      const configs = await Promise.all(envs.map((env) => api.get<FlagConfig>(configPath(key, env))));
      return new Map(envs.map((env, i) => [env, configs[i] as FlagConfig]));
    },
    enabled: envs.length > 0,
  });
}

function invalidateStates(queryClient: ReturnType<typeof useQueryClient>) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: ['insights'] }),
    queryClient.invalidateQueries({ queryKey: ['audit'] }),
    queryClient.invalidateQueries({ queryKey: ['configs'] }),
  ]);
}

/**
 * What a config write did: applied at once (200), or — where the environment requires approval —
 * created a change request that waits for someone else, or added to the author's pending one (202).
 */
export type WriteResult =
  | { kind: 'applied'; config: FlagConfig }
  | {
      kind: 'requested';
      changeRequest: ChangeRequest;
      /** The server added the change to its author's pending request (known before the write). */
      merged: boolean;
    };

/** Ids of the pending change requests the cached lists hold (the flag page keeps its own loaded). */
function cachedPendingIds(queryClient: ReturnType<typeof useQueryClient>): Set<number> {
  const ids = new Set<number>();
  for (const [, items] of queryClient.getQueriesData<unknown>({ queryKey: ['change-requests'] })) {
    if (!Array.isArray(items)) continue;
    for (const item of items as ChangeRequest[]) if (item.state === 'pending') ids.add(item.id);
  }
  return ids;
}

async function write(
  queryClient: ReturnType<typeof useQueryClient>,
  method: string,
  path: string,
  body: unknown,
): Promise<WriteResult> {
  const pending = cachedPendingIds(queryClient);
  const response = await request<FlagConfig | ChangeRequest>(method, path, { body });
  if (response.status !== 202) return { kind: 'applied', config: response.body as FlagConfig };
  const changeRequest = response.body as ChangeRequest;
  return { kind: 'requested', changeRequest, merged: pending.has(changeRequest.id) };
}

/**
 * What a 202 means, in the browser's local time: "Change request #12 scheduled for 2 Mar 2026,
 * 14:30:00", or "… created — waiting for approval" (and when it applies once approved). When the
 * answer is the author's pending request they already had (`pendingId`), the server added the change
 * to it (`merged`): "Added to your pending change request #12".
 */
export function requestedMessage(changeRequest: ChangeRequest, merged = false): string {
  const { id, state, applyAt } = changeRequest;
  // The write undid every change the author's pending request held.
  if (state === 'withdrawn') return `Change request #${id} withdrawn: nothing is left to change`;
  if (state === 'scheduled' && applyAt)
    return `Change request #${id} scheduled for ${formatDateTime(applyAt)}`;
  const later = applyAt ? `; once approved it applies at ${formatDateTime(applyAt)}` : '';
  if (state === 'pending' && merged)
    return `Added to your pending change request #${id} — waiting for approval${later}`;
  return `Change request #${id} created — waiting for approval${later}`;
}

/** The optional members of every config write: why, and when (ISO 8601 with offset, in the future). */
export interface WriteOptions {
  comment?: string;
  applyAt?: string;
}

const writeOptions = ({ comment, applyAt }: WriteOptions) => ({
  ...(comment ? { comment } : {}),
  ...(applyAt ? { applyAt } : {}),
});

async function afterWrite(
  queryClient: ReturnType<typeof useQueryClient>,
  result: WriteResult,
  key: string,
  env: string,
) {
  if (result.kind === 'applied') queryClient.setQueryData(['config', key, env], result.config);
  await Promise.all([
    invalidateStates(queryClient),
    queryClient.invalidateQueries({ queryKey: ['change-requests'] }),
  ]);
}

/**
 * Replaces the targeting of a config at `version` (412 when someone changed it meanwhile). Where
 * approval is required, or with `applyAt`, the result is a change request, and the config stays as
 * it was.
 */
export function useSaveConfig(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (
      input: {
        env: string;
        version: number;
        enabled: boolean;
        targeting: Targeting;
      } & WriteOptions,
    ) =>
      write(queryClient, 'PUT', configPath(key, input.env), {
        version: input.version,
        enabled: input.enabled,
        ...input.targeting,
        ...writeOptions(input),
      }),
    onSuccess: (result, input) => afterWrite(queryClient, result, key, input.env),
  });
}

/**
 * A toggle: turning on may be scheduled (`applyAt`); turning off is the kill switch and has no
 * `applyAt`, so it always applies at once.
 */
export type ToggleInput =
  | ({ env: string; enabled: true } & WriteOptions)
  | { env: string; enabled: false; comment?: string };

/**
 * The kill switch: turns a flag on or off in one environment. Off is always at once; on may become a
 * change request where approval is required or when scheduled.
 */
export function useToggle(key: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ToggleInput) =>
      write(queryClient, 'POST', `${configPath(key, input.env)}/toggle`, {
        enabled: input.enabled,
        ...writeOptions(input.enabled ? input : { comment: input.comment }),
      }),
    onSuccess: (result, input) => afterWrite(queryClient, result, key, input.env),
  });
}

/** What a context gets from this flag in one environment, by the SDK engine on the server. */
export function useEvaluate(key: string) {
  return useMutation({
    mutationFn: async (input: { env: string; context: Record<string, unknown> }) => {
      const { results, revision } = await api.post<{
        revision: number;
        results: Record<string, EvaluationResult>;
      }>(`/environments/${enc(input.env)}/evaluate`, { context: input.context, flags: [key] });
      return { revision, result: results[key] };
    },
  });
}

/** Evaluations per variant and minute over the last `hours`. */
export function useExposures(key: string, env: string, hours: number) {
  return useQuery({
    queryKey: ['exposures', key, env, hours],
    queryFn: () =>
      api.get<ExposureSeries>(`/flags/${enc(key)}/exposures`, {
        environment: env,
        since: new Date(Date.now() - hours * 3_600_000).toISOString(),
      }),
    enabled: env !== '',
    refetchInterval: 30_000,
  });
}
