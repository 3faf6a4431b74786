/**
 * "Apply later": the value of a `datetime-local` input (`2026-03-02T14:30`, the browser's local time)
 * turned into the `applyAt` the server takes — ISO 8601 with the browser's offset at that moment.
 */

const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');

/**
 * A local time as ISO 8601 with its offset. The offset is the one in force at that time, not now,
 * so a time after a daylight-saving change carries the right one.
 *
 * @example
 * withOffset(new Date(2026, 2, 2, 14, 30)); // "2026-03-02T14:30:00+01:00" in Berlin
 */
export function withOffset(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  return `${localInputValue(date)}:${pad(date.getSeconds())}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/**
 * The `datetime-local` value of a time (minutes precision), e.g. for the input's `min`.
 *
 * @example
 * localInputValue(new Date(2026, 2, 2, 14, 30)); // "2026-03-02T14:30"
 */
export function localInputValue(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** What the "Apply later" input holds: nothing (apply at once), a valid future time, or a problem. */
export type ApplyAtCheck = { ok: true; applyAt: string | undefined } | { ok: false; error: string };

/**
 * Checks a `datetime-local` value against `now`: empty means at once; otherwise it must be a time
 * in the future.
 *
 * @example
 * checkApplyAt('', now); // { ok: true, applyAt: undefined }
 * checkApplyAt('2020-01-01T00:00', now); // { ok: false, error: 'Must be in the future' }
 */
export function checkApplyAt(value: string, now: Date): ApplyAtCheck {
  if (value.trim() === '') return { ok: true, applyAt: undefined };
  // A date-time without an offset is local time (ECMA-262 Date Time String Format).
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? new Date(value) : undefined;
  if (at === undefined || Number.isNaN(at.getTime())) return { ok: false, error: 'Enter a date and time' };
  if (at.getTime() <= now.getTime()) return { ok: false, error: 'Must be in the future' };
  return { ok: true, applyAt: withOffset(at) };
}
