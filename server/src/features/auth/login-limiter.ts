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
  /** Windows kept per limit, and addresses remembered per email (default 10,000 each). */
  maxEntries?: number;
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

/** The failures of one email from anywhere; `resetAt` is the end of its quiet window. */
interface Backoff extends Window {
  nextAt: number;
}

const MAX_ENTRIES = 10_000;
const KNOWN_ADDRESS_MS = 30 * 24 * 60 * 60_000;

/**
 * The windows of one limit, at most `max` of them. A window at its limit is kept until it ends:
 * dropping it would let whoever reached the limit start again. Room for a new window is made by
 * dropping ended windows, else the least recently counted window under its limit. When all `max`
 * windows are live and at their limit there is no room, and the caller refuses the attempt: filling
 * the table so costs `max × limit` counted attempts, which is what the limits are there to stop.
 */
class WindowTable<E extends Window> {
  /** Windows under the limit, least recently counted first. */
  private readonly under = new Map<string, E>();
  /** Windows at the limit, kept until they end. */
  private readonly atLimit = new Map<string, E>();
  /** No window in `atLimit` ends earlier: sweeping before then would find nothing. */
  private sweepAt = Number.POSITIVE_INFINITY;
  /** The refusals for lack of room, audited once until there is room again. */
  readonly full = { refused: false };

  constructor(
    private readonly max: number,
    private readonly limit: number,
  ) {}

  /** The live window under `key`, if any. Changes nothing but dropping an ended window. */
  get(key: string, now: number): E | undefined {
    const entry = this.under.get(key) ?? this.atLimit.get(key);
    if (entry && entry.resetAt <= now) {
      this.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Whether a new window fits, dropping only ended windows to make room. */
  hasRoom(now: number): boolean {
    if (this.under.size + this.atLimit.size < this.max || this.under.size > 0) return true;
    if (now >= this.sweepAt) this.sweep(now);
    return this.atLimit.size < this.max;
  }

  /** Milliseconds until a window at the limit ends and makes room. */
  roomInMs(now: number): number {
    return this.sweepAt - now;
  }

  /** Counts one attempt in the live window under `key`, opening one with `open` (check `hasRoom` first). */
  count(key: string, now: number, open: () => E): E {
    let entry = this.get(key, now);
    if (!entry) {
      this.makeRoom(now);
      entry = open();
    }
    entry.count++;
    this.place(key, entry);
    return entry;
  }

  /** Files `entry` again after its count went down, unless it was dropped meanwhile. */
  settle(key: string, entry: E): void {
    if (this.under.get(key) === entry || this.atLimit.get(key) === entry) this.place(key, entry);
  }

  delete(key: string): void {
    this.under.delete(key);
    this.atLimit.delete(key);
  }

  private place(key: string, entry: E): void {
    this.delete(key);
    if (entry.count >= this.limit) {
      this.atLimit.set(key, entry);
      this.sweepAt = Math.min(this.sweepAt, entry.resetAt);
    } else {
      this.under.set(key, entry);
    }
  }

  private makeRoom(now: number): void {
    this.full.refused = false;
    if (this.under.size + this.atLimit.size < this.max) return;
    if (now >= this.sweepAt) this.sweep(now);
    const oldest = this.under.keys().next();
    if (this.under.size + this.atLimit.size >= this.max && !oldest.done) this.under.delete(oldest.value);
  }

  private sweep(now: number): void {
    this.sweepAt = Number.POSITIVE_INFINITY;
    for (const [key, entry] of this.atLimit) {
      if (entry.resetAt <= now) this.atLimit.delete(key);
      else this.sweepAt = Math.min(this.sweepAt, entry.resetAt);
    }
  }
}

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
 * The limiter cannot be made to forget: an attempt is checked against every limit before anything is
 * stored, so a refused attempt stores nothing, and each limit keeps its own table of at most
 * `maxEntries` windows (default 10,000; at most ~1 KB each) in which a window at its limit is never
 * dropped before it ends (see {@link WindowTable}).
 *
 * The state is kept in this process: each replica counts the attempts it serves.
 *
 * @example
 * const attempt = limiter.reserve(email, address);
 * if (!attempt.ok) throw new RateLimitedError(…attempt.retryAfter…);
 * if (await verifyPassword(password, hash)) attempt.succeeded();
 */
export class LoginLimiter {
  private readonly pairs: WindowTable<Window>;
  private readonly addresses: WindowTable<Window>;
  private readonly accounts: WindowTable<Backoff>;
  private readonly knownAddresses: LRUCache<string, true>;
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
    const max = Math.max(1, options.maxEntries ?? MAX_ENTRIES);
    this.pairs = new WindowTable(max, this.maxFailures);
    this.addresses = new WindowTable(max, this.maxAddressFailures);
    this.accounts = new WindowTable(max, this.accountBackoffAfter);
    this.knownAddresses = new LRUCache({ max, ttl: KNOWN_ADDRESS_MS });
  }

  /**
   * Reserves one password check for `email` from `address`, or refuses it. Synchronous, so
   * concurrent attempts cannot all pass the limits before any of them is counted.
   */
  reserve(email: string, address: string): LoginSlot | LoginRefusal {
    const now = this.clock().getTime();
    const pairKey = `${email}\u0000${address}`;
    // Every limit is checked before anything is stored: a refused attempt leaves no window behind.
    const pair = this.pairs.get(pairKey, now);
    if (pair && pair.count >= this.maxFailures) return refuse('email_address', pair, pair.resetAt - now);
    if (!pair && !this.pairs.hasRoom(now)) {
      return refuse('email_address', this.pairs.full, this.pairs.roomInMs(now));
    }
    const addressWindow = this.addresses.get(address, now);
    if (addressWindow && addressWindow.count >= this.maxAddressFailures) {
      return refuse('address', addressWindow, addressWindow.resetAt - now);
    }
    if (!addressWindow && !this.addresses.hasRoom(now)) {
      return refuse('address', this.addresses.full, this.addresses.roomInMs(now));
    }
    const known = this.knownAddresses.has(pairKey);
    const account = this.accounts.get(email, now);
    if (!known && account && account.count >= this.accountBackoffAfter && now < account.nextAt) {
      return refuse('email', account, account.nextAt - now);
    }
    // A known address is exempt from the account-wide limit, even when there is no room to count it.
    const countAccount = account !== undefined || this.accounts.hasRoom(now);
    if (!known && !countAccount) return refuse('email', this.accounts.full, this.accounts.roomInMs(now));

    const window = (): Window => ({ count: 0, resetAt: now + this.windowMs, refused: false });
    this.pairs.count(pairKey, now, window);
    const counted = this.addresses.count(address, now, window);
    const backoff = countAccount ? this.countAccount(email, now, known) : undefined;
    return {
      ok: true,
      succeeded: () => {
        this.pairs.delete(pairKey);
        counted.count = Math.max(0, counted.count - 1);
        this.addresses.settle(address, counted);
        if (backoff) {
          backoff.count = Math.max(0, backoff.count - 1);
          this.accounts.settle(email, backoff);
        }
        this.knownAddresses.set(pairKey, true);
      },
    };
  }

  private countAccount(email: string, now: number, known: boolean): Backoff {
    const account = this.accounts.count(email, now, () => ({
      count: 0,
      resetAt: now + this.windowMs,
      nextAt: now,
      refused: false,
    }));
    account.resetAt = now + this.windowMs;
    const beyond = account.count - this.accountBackoffAfter;
    if (beyond >= 0 && !known) {
      account.nextAt = now + Math.min(this.backoffBaseMs * 2 ** Math.min(beyond, 30), this.backoffMaxMs);
    }
    return account;
  }
}

function refuse(limit: LoginLimit, entry: { refused: boolean }, waitMs: number): LoginRefusal {
  const first = !entry.refused;
  entry.refused = true;
  return { ok: false, limit, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)), first };
}
