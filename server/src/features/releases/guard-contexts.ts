/** Bounds of {@link DistinctContexts}. */
export interface GuardContextLimits {
  /**
   * New distinct browser contexts one client address may add to the guards of one environment per
   * minute (default 20). Contexts past it are still served; the guard just does not count them.
   */
  perAddressPerMinute: number;
  /**
   * Entries (a context's exposure, or a context and an event) remembered per minute, all environments
   * together (default 100,000: at most ~200 bytes each with the address budgets, about 20 MB).
   * Past it, no new context counts until the minute turns.
   */
  maxEntriesPerMinute: number;
}

export const DEFAULT_GUARD_CONTEXT_LIMITS: GuardContextLimits = {
  perAddressPerMinute: 20,
  maxEntriesPerMinute: 100_000,
};

/** What {@link DistinctContexts} decided about one sighting. */
export type Admission =
  /** Counted: `exposed` says whether the context also counts as newly exposed this minute. */
  | { counted: true; exposed: boolean }
  | { counted: false; reason: 'duplicate' | 'address_budget' | 'capacity' };

/**
 * The guard's view of browser traffic, which a public key controls: each distinct context counts at
 * most once as exposed and at most once per event, per minute, and one client address can bring at
 * most `perAddressPerMinute` new contexts per environment and minute. So whatever one address sends,
 * it weighs like that many browsers, and a browser's event rate is at most one per exposure. Memory is
 * bounded by `maxEntriesPerMinute`; everything is forgotten when the minute turns.
 *
 * @example
 * const contexts = new DistinctContexts(DEFAULT_GUARD_CONTEXT_LIMITS);
 * contexts.expose(envId, '203.0.113.7', hash, minute); // { counted: true, exposed: true }
 * contexts.track(envId, '203.0.113.7', hash, 'checkout-error', minute); // { counted: true, exposed: false }
 */
export class DistinctContexts {
  private minute = -1;
  private readonly seen = new Set<string>();
  /** New contexts per environment and address this minute. */
  private readonly added = new Map<string, number>();

  constructor(private readonly limits: GuardContextLimits = DEFAULT_GUARD_CONTEXT_LIMITS) {}

  /** A context the server evaluated for a browser: counted once per minute. */
  expose(environmentId: number, address: string, hash: string, minute: number): Admission {
    this.turn(minute);
    const exposure = `${environmentId}\u0000${hash}`;
    if (this.seen.has(exposure)) return { counted: false, reason: 'duplicate' };
    const refused = this.admitNew(environmentId, address, 1, true);
    if (refused) return { counted: false, reason: refused };
    this.seen.add(exposure);
    return { counted: true, exposed: true };
  }

  /**
   * A tracked event of a context: counted once per event and minute. A context not yet exposed this
   * minute is counted as exposed too (it was being served), which takes from the address's budget.
   */
  track(environmentId: number, address: string, hash: string, event: string, minute: number): Admission {
    this.turn(minute);
    const exposure = `${environmentId}\u0000${hash}`;
    const tracked = `${exposure}\u0000${event}`;
    if (this.seen.has(tracked)) return { counted: false, reason: 'duplicate' };
    const exposed = !this.seen.has(exposure);
    const refused = this.admitNew(environmentId, address, exposed ? 2 : 1, exposed);
    if (refused) return { counted: false, reason: refused };
    if (exposed) this.seen.add(exposure);
    this.seen.add(tracked);
    return { counted: true, exposed };
  }

  /** Entries held now (for tests and bounds). */
  get size(): number {
    return this.seen.size + this.added.size;
  }

  /** Checks room for `entries` more; a new context also takes one from the address's budget. */
  private admitNew(
    environmentId: number,
    address: string,
    entries: number,
    newContext: boolean,
  ): 'address_budget' | 'capacity' | null {
    if (this.seen.size + this.added.size + entries + 1 > this.limits.maxEntriesPerMinute) return 'capacity';
    if (!newContext) return null;
    const budget = `${environmentId}\u0000${address}`;
    const used = this.added.get(budget) ?? 0;
    if (used >= this.limits.perAddressPerMinute) return 'address_budget';
    this.added.set(budget, used + 1);
    return null;
  }

  private turn(minute: number): void {
    if (minute === this.minute) return;
    this.minute = minute;
    this.seen.clear();
    this.added.clear();
  }
}
