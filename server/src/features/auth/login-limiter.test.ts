import { describe, expect, it } from 'vitest';
import {
  LoginLimiter,
  type LoginLimiterOptions,
  type LoginRefusal,
  type LoginSlot,
} from './login-limiter.js';

function limiterAt(options: LoginLimiterOptions = {}) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const limiter = new LoginLimiter({ maxFailures: 3, clock: () => new Date(now), ...options });
  return { limiter, advance: (ms: number) => (now += ms) };
}

/** Reserves `n` attempts that fail (their slots are simply never released). */
function fail(limiter: LoginLimiter, email: string, address: string, n: number) {
  return Array.from({ length: n }, () => limiter.reserve(email, address));
}

describe('LoginLimiter', () => {
  it('counts an attempt when it is reserved, before any password check', () => {
    const { limiter } = limiterAt();
    const slots = fail(limiter, 'a@x', '10.0.0.1', 3);
    expect(slots.every((s) => s.ok)).toBe(true);
    const refused = limiter.reserve('a@x', '10.0.0.1') as LoginRefusal;
    expect(refused).toMatchObject({ ok: false, limit: 'email_address', first: true, retryAfter: 900 });
    expect(limiter.reserve('a@x', '10.0.0.1')).toMatchObject({ ok: false, first: false });
  });

  it('locks an email per address only: another address still gets in', () => {
    const { limiter } = limiterAt();
    fail(limiter, 'a@x', '10.0.0.1', 3);
    expect(limiter.reserve('a@x', '10.0.0.1').ok).toBe(false);
    expect(limiter.reserve('a@x', '10.0.0.2').ok).toBe(true);
  });

  it('forgets the pair on success but keeps the failures of the address and of the email', () => {
    const { limiter } = limiterAt({ maxAddressFailures: 4 });
    fail(limiter, 'a@x', '10.0.0.1', 2);
    (limiter.reserve('a@x', '10.0.0.1') as LoginSlot).succeeded();
    fail(limiter, 'b@x', '10.0.0.1', 2);
    expect(limiter.reserve('c@x', '10.0.0.1')).toMatchObject({ ok: false, limit: 'address' });
  });

  it('refuses again after a window and allows after it ends', () => {
    const { limiter, advance } = limiterAt();
    fail(limiter, 'a@x', '10.0.0.1', 3);
    advance(15 * 60_000 - 1000);
    expect(limiter.reserve('a@x', '10.0.0.1')).toMatchObject({ ok: false, retryAfter: 1 });
    advance(1000);
    expect(limiter.reserve('a@x', '10.0.0.1').ok).toBe(true);
  });

  it('spaces attempts on an email from many addresses by a doubling delay, except from known addresses', () => {
    const { limiter, advance } = limiterAt({ accountBackoffAfter: 6, backoffMaxMs: 4000 });
    (limiter.reserve('a@x', '10.0.9.9') as LoginSlot).succeeded();
    for (let i = 1; i <= 5; i++) fail(limiter, 'a@x', `10.0.0.${i}`, 1);
    expect(limiter.reserve('a@x', '10.0.1.1').ok).toBe(true); // the 6th failure: backoff starts, 1 s
    expect(limiter.reserve('a@x', '10.0.1.2')).toMatchObject({ ok: false, limit: 'email', first: true });
    expect(limiter.reserve('a@x', '10.0.1.3')).toMatchObject({ ok: false, limit: 'email', first: false });
    advance(1000);
    expect(limiter.reserve('a@x', '10.0.1.2').ok).toBe(true); // next delay: 2 s
    advance(1999);
    expect(limiter.reserve('a@x', '10.0.1.3')).toMatchObject({ ok: false, retryAfter: 1 });
    advance(1);
    expect(limiter.reserve('a@x', '10.0.1.3').ok).toBe(true); // next: 4 s, the cap
    advance(4000);
    expect(limiter.reserve('a@x', '10.0.1.4').ok).toBe(true);
    expect(limiter.reserve('a@x', '10.0.1.5')).toMatchObject({ ok: false, retryAfter: 4 });
    expect(limiter.reserve('a@x', '10.0.9.9').ok).toBe(true); // the user's own address
  });

  it('forgets an email after a quiet window', () => {
    const { limiter, advance } = limiterAt({ accountBackoffAfter: 2 });
    fail(limiter, 'a@x', '10.0.0.1', 1);
    fail(limiter, 'a@x', '10.0.0.2', 1);
    expect(limiter.reserve('a@x', '10.0.0.3').ok).toBe(false);
    advance(15 * 60_000);
    expect(limiter.reserve('a@x', '10.0.0.3').ok).toBe(true);
  });

  describe('cannot be made to forget', () => {
    it('keeps a locked window while one address floods it with distinct emails', () => {
      const { limiter } = limiterAt({ maxFailures: 10 });
      fail(limiter, 'victim@x', '127.0.0.2', 10);
      expect(limiter.reserve('victim@x', '127.0.0.2').ok).toBe(false);

      const flood = Array.from({ length: 10_100 }, (_, i) => limiter.reserve(`u${i}@x`, '127.0.0.3'));
      expect(flood.filter((a) => a.ok)).toHaveLength(50);
      expect(flood.at(-1)).toMatchObject({ ok: false, limit: 'address' });

      expect(limiter.reserve('victim@x', '127.0.0.2')).toMatchObject({ ok: false, limit: 'email_address' });
    });

    it('keeps locked windows and account backoffs while many addresses open new ones', () => {
      const { limiter } = limiterAt({ maxFailures: 10, accountBackoffAfter: 20 });
      fail(limiter, 'victim@x', '10.0.0.1', 10);
      for (let i = 2; i <= 11; i++) fail(limiter, 'victim@x', `10.0.0.${i}`, 1);
      expect(limiter.reserve('victim@x', '10.0.1.1')).toMatchObject({ ok: false, limit: 'email' });

      // Each attempt passes every limit and opens a window of each kind: three times the tables' size.
      const flood = Array.from({ length: 30_000 }, (_, i) =>
        limiter.reserve(`u${i}@x`, `10.1.${i >> 8}.${i & 255}`),
      );
      expect(flood.every((a) => a.ok)).toBe(true);

      expect(limiter.reserve('victim@x', '10.0.0.1')).toMatchObject({ ok: false, limit: 'email_address' });
      expect(limiter.reserve('victim@x', '10.0.1.1')).toMatchObject({ ok: false, limit: 'email' });
    });

    it('refuses a new window while every window of its table is locked, until one ends', () => {
      const { limiter, advance } = limiterAt({ maxFailures: 1, maxEntries: 4 });
      for (let i = 1; i <= 4; i++) fail(limiter, `u${i}@x`, `10.0.0.${i}`, 1);
      advance(60_000);

      expect(limiter.reserve('u5@x', '10.0.0.5')).toMatchObject({
        ok: false,
        limit: 'email_address',
        first: true,
        retryAfter: 840,
      });
      expect(limiter.reserve('u6@x', '10.0.0.6')).toMatchObject({ ok: false, first: false });
      expect(limiter.reserve('u1@x', '10.0.0.1')).toMatchObject({ ok: false, limit: 'email_address' });
      advance(840_000);
      expect(limiter.reserve('u5@x', '10.0.0.5').ok).toBe(true);
    });

    it('makes room by dropping windows under their limit, least recently counted first', () => {
      const { limiter } = limiterAt({ maxFailures: 2, maxEntries: 2 });
      fail(limiter, 'a@x', '10.0.0.1', 2);
      fail(limiter, 'b@x', '10.0.0.2', 1);
      fail(limiter, 'c@x', '10.0.0.3', 1);
      expect(limiter.reserve('a@x', '10.0.0.1').ok).toBe(false);
      expect(fail(limiter, 'b@x', '10.0.0.2', 2).every((s) => s.ok)).toBe(true); // its window was dropped
    });
  });
});
