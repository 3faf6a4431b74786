import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkApplyAt, localInputValue, withOffset } from './apply-at';

const NOW = new Date('2026-03-02T12:00:00Z');

describe('applyAt from a datetime-local value', () => {
  // Node reads TZ again when it changes, so the offsets below are Berlin's whatever the machine's zone.
  let zone: string | undefined;
  beforeEach(() => {
    zone = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
  });
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('carries the offset in force at that time, across a daylight-saving change', () => {
    expect(withOffset(new Date(2026, 2, 2, 14, 30))).toBe('2026-03-02T14:30:00+01:00');
    expect(withOffset(new Date(2026, 6, 1, 9, 5, 7))).toBe('2026-07-01T09:05:07+02:00');
  });

  it('formats the input value back, for the input min', () => {
    expect(localInputValue(new Date(2026, 0, 9, 8, 3))).toBe('2026-01-09T08:03');
  });

  it('means "at once" when empty and refuses the past, now, and garbage', () => {
    expect(checkApplyAt('', NOW)).toEqual({ ok: true, applyAt: undefined });
    expect(checkApplyAt('2026-03-02T13:00', NOW)).toEqual({ ok: false, error: 'Must be in the future' });
    expect(checkApplyAt('2026-03-02T13:01', NOW)).toEqual({ ok: true, applyAt: '2026-03-02T13:01:00+01:00' });
    expect(checkApplyAt('2026-03-02', NOW)).toEqual({ ok: false, error: 'Enter a date and time' });
    expect(checkApplyAt('2026-13-45T99:00', NOW)).toEqual({ ok: false, error: 'Enter a date and time' });
  });

  it('names the same instant as the local time', () => {
    const { applyAt } = checkApplyAt('2026-10-25T18:45', NOW) as { applyAt: string };
    expect(applyAt).toBe('2026-10-25T18:45:00+01:00');
    expect(new Date(applyAt).toISOString()).toBe('2026-10-25T17:45:00.000Z');
  });
});
