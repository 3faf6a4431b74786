import { LRUCache } from 'lru-cache';

/** Options of {@link LoginLimiter}. */
export interface LoginLimiterOptions {
  /** Password checks allowed per email and client address within the window (default 10). */
  maxFailures?: number;
  /** Password checks allowed per client address, whatever the email (default 5 × maxFailures). */
  maxAddressFailures?: number;
  /**
   * Failures of one email, from any address, after which every further attempt from an address
   * that never logged in to it has to wait an increasing delay (default 2 × maxFailures).
   */
  accountBackoffAfter?: number;
  /** The first backoff delay (default 1 s); it doubles with every further failure. */
  backoffBaseMs?: number;
  /** The longest backoff delay (default 5 minutes). */
  backoffMaxMs?: number;
  windowMs?: number;
  clock?: () => Date;
}

/** Which limit refused an attempt: the email from this address, the address, or the email anywhere. */
export type LoginLimit = 'email_address' | 'address' | 'email';

/** A password check may run: report its outcome. */
export interface LoginSlot {
  ok: true;
  /** The password was right: this attempt is not a failure, and this address is now known for the email. */
  succeeded(): void;
}

/** The attempt is refused before any password check. */
export interface LoginRefusal {
  ok: false;
  limit: LoginLimit;
  /** Seconds until an attempt may succeed in passing this limit. */
  retryAfter: number;
  /** The first refusal by this limit in its window: worth one audit event, the rest are only counted. */
  first: boolean;
}

interface Window {
  count: number;
  resetAt: number;
  refused: boolean;
}

interface Backoff {
  count: number;
  lastAt: number;
  nextAt: number;
  refused: boolean;
}

const BOUND = { max: 10_000 } as const;
const KNOWN_ADDRESS_MS = 30 * 24 * 60 * 60_000;

/**
 * Limits password checks, counting each attempt *before* its (slow, asynchronous) check, so that no
 * amount of concurrency runs more checks than the limits allow:
 *
 * - per email and client address: `maxFailures` per window, then refused until the window ends. An
 *   attacker's guesses lock only their own address out of that account;
 * - per client address: `maxAddressFailures` per window (guessing many emails from one place);
 * - per email from anywhere: after `accountBackoffAfter` failures, attempts from addresses that never
 *   logged in to this email are spaced by a delay that doubles up to `backoffMaxMs`, so many addresses
 *   together cannot guess fast. An address the user logged in from before is exempt, so someone
 *   else's guesses do not lock the user out. The count is forgotten after a quiet window.
 *
 * Memory is bounded: LRUs of at most 10,000 entries each.
 *
 * @example
 * const attempt = limiter.reserve(email, address);
 * if (!attempt.ok) throw new RateLimitedError(…attempt.retryAfter…);
 * if (await verifyPassword(password, hash)) attempt.succeeded();
 */
export class LoginLimiter {
  private readonly windows = new LRUCache<string, Window>(BOUND);
  private readonly accounts = new LRUCache<string, Backoff>(BOUND);
  private readonly knownAddresses = new LRUCache<string, true>({ ...BOUND, ttl: KNOWN_ADDRESS_MS });
  private readonly maxFailures: number;
  private readonly maxAddressFailures: number;
  private readonly accountBackoffAfter: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly windowMs: number;
  private readonly clock: () => Date;

  constructor(options: LoginLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    this.maxAddressFailures = options.maxAddressFailures ?? 5 * this.maxFailures;
    this.accountBackoffAfter = options.accountBackoffAfter ?? 2 * this.maxFailures;
    this.backoffBaseMs = options.backoffBaseMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 5 * 60_000;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Reserves one password check for `email` from `address`, or refuses it. Synchronous, so
   * concurrent attempts cannot all pass the limits before any of them is counted.
   */
  reserve(email: string, address: string): LoginSlot | LoginRefusal {
    const now = this.clock().getTime();
    const pairKey = `pair\u0000${email}\u0000${address}`;
    const pair = this.window(pairKey, now);
    if (pair.count >= this.maxFailures) return refuse('email_address', pair, pair.resetAt - now);
    const addressWindow = this.window(`address\u0000${address}`, now);
    if (addressWindow.count >= this.maxAddressFailures) {
      return refuse('address', addressWindow, addressWindow.resetAt - now);
    }
    const known = this.knownAddresses.has(`${email}\u0000${address}`);
    const account = this.backoff(email, now);
    if (!known && account.count >= this.accountBackoffAfter && now < account.nextAt) {
      return refuse('email', account, account.nextAt - now);
    }

    pair.count++;
    addressWindow.count++;
    account.count++;
    account.lastAt = now;
    const beyond = account.count - this.accountBackoffAfter;
    if (beyond >= 0 && !known) {
      account.nextAt = now + Math.min(this.backoffBaseMs * 2 ** Math.min(beyond, 30), this.backoffMaxMs);
    }
    return {
      ok: true,
      succeeded: () => {
        this.windows.delete(pairKey);
        addressWindow.count = Math.max(0, addressWindow.count - 1);
        account.count = Math.max(0, account.count - 1);
        this.knownAddresses.set(`${email}\u0000${address}`, true);
      },
    };
  }

  private window(key: string, now: number): Window {
    let entry = this.windows.get(key);
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + this.windowMs, refused: false };
      this.windows.set(key, entry);
    }
    return entry;
  }

  private backoff(email: string, now: number): Backoff {
    let entry = this.accounts.get(email);
    if (!entry || now - entry.lastAt >= this.windowMs) {
      entry = { count: 0, lastAt: now, nextAt: now, refused: false };
      this.accounts.set(email, entry);
    }
    return entry;
  }
}

function refuse(limit: LoginLimit, entry: { refused: boolean }, waitMs: number): LoginRefusal {
  const first = !entry.refused;
  entry.refused = true;
  return { ok: false, limit, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)), first };
}
