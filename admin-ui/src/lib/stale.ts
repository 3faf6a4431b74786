import type { Flag, FlagStates } from '../types';
import { latest } from './time';

/** Days without change or evaluation after which a temporary flag counts as stale, by default. */
export const DEFAULT_STALE_DAYS = 30;

/**
 * A temporary flag is stale when nothing changed it and no SDK evaluated it, in any environment, for
 * `days` days: it is probably done and its code path can go.
 *
 * @example
 * isStale(flag, states, 30, new Date());
 */
export function isStale(flag: Flag, states: FlagStates | undefined, days: number, now: Date): boolean {
  if (!flag.temporary || flag.archived) return false;
  let last: string | null = flag.updatedAt;
  for (const state of Object.values(states?.environments ?? {})) {
    last = latest(last, state.updatedAt);
    last = latest(last, state.lastEvaluatedAt);
  }
  return last === null || now.getTime() - new Date(last).getTime() > days * 86_400_000;
}
