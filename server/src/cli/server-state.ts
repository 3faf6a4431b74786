import { type ApiClient, seg } from './api-client.js';
import { listAllFlags } from './flags-commands.js';
import type { FlagsFile } from './flags-file.js';
import { targetingOf } from './rollout.js';
import type { EnvironmentView, FlagConfig, FlagView, SegmentView } from './wire.js';

/** What the server holds, as far as a flags file is concerned. */
export interface ServerState {
  environments: EnvironmentView[];
  segments: Map<string, SegmentView>;
  /** Every flag, archived ones too. */
  flags: Map<string, FlagView>;
  /** Configs by flag key, then environment key (read only where needed). */
  configs: Map<string, Map<string, FlagConfig>>;
}

/** Runs `task` over `items`, at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Reads environments, segments, flags and the configs that matter: of the flags (and environments)
 * a file names, or of every live flag in every environment for an export.
 */
export async function readServerState(api: ApiClient, file?: FlagsFile): Promise<ServerState> {
  const [environments, segments, live, archived] = await Promise.all([
    api.get<{ items: EnvironmentView[] }>('/api/v1/environments').then((body) => body.items),
    api.get<{ items: SegmentView[] }>('/api/v1/segments').then((body) => body.items),
    listAllFlags(api, { archived: 'false' }),
    listAllFlags(api, { archived: 'true' }),
  ]);
  const flags = new Map([...live, ...archived].map((flag) => [flag.key, flag]));
  const envKeys = new Set(environments.map((env) => env.key));
  const wanted: { flag: string; env: string }[] = file
    ? file.flags.flatMap((entry) =>
        flags.has(entry.key)
          ? Object.keys(entry.environments)
              .filter((env) => envKeys.has(env))
              .map((env) => ({ flag: entry.key, env }))
          : [],
      )
    : live.flatMap((flag) => environments.map((env) => ({ flag: flag.key, env: env.key })));
  const fetched = await mapLimit(wanted, 8, ({ flag, env }) =>
    api.get<FlagConfig>(`/api/v1/flags/${seg(flag)}/environments/${seg(env)}`),
  );
  const configs = new Map<string, Map<string, FlagConfig>>();
  wanted.forEach(({ flag, env }, index) => {
    const perEnv = configs.get(flag) ?? new Map<string, FlagConfig>();
    perEnv.set(env, fetched[index]!);
    configs.set(flag, perEnv);
  });
  return {
    environments,
    segments: new Map(segments.map((segment) => [segment.key, segment])),
    flags,
    configs,
  };
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * The flags file of the server's current state: every segment and every live (not archived) flag,
 * with its config in every environment (in pipeline order); named for `project` when given.
 */
export function exportFile(state: ServerState, project?: string): FlagsFile {
  return {
    version: 1,
    ...(project === undefined ? {} : { project }),
    segments: [...state.segments.values()].sort(byKey).map((segment) => ({
      key: segment.key,
      name: segment.name,
      description: segment.description,
      included: segment.included,
      excluded: segment.excluded,
      rules: segment.rules,
    })),
    flags: [...state.flags.values()]
      .filter((flag) => !flag.archived)
      .sort(byKey)
      .map((flag) => {
        const configs = state.configs.get(flag.key) ?? new Map<string, FlagConfig>();
        return {
          key: flag.key,
          name: flag.name,
          description: flag.description,
          kind: flag.kind,
          variations: flag.variations,
          tags: flag.tags,
          owner: flag.owner,
          temporary: flag.temporary,
          clientSide: flag.clientSide,
          environments: Object.fromEntries(
            state.environments.flatMap((env) => {
              const config = configs.get(env.key);
              return config ? [[env.key, targetingOf(config)]] : [];
            }),
          ),
        };
      }),
  };
}
