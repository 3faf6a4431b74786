/**
 * The exit codes of the remote commands, so a pipeline can act on the outcome without parsing text.
 * Documented in `ringflag --help` and docs/cli.md; keep the three in step.
 */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  badInput: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  pendingApproval: 6,
  unreachable: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The exit code an HTTP error status maps to: 400/422 bad input, 404 not found, 409/412 conflict,
 * 401/403 auth; anything else (429, 5xx) is unexpected.
 *
 * @example
 * exitCodeForStatus(412); // 4
 */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 400 || status === 413 || status === 422) return EXIT.badInput;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  if (status === 401 || status === 403) return EXIT.auth;
  return EXIT.unexpected;
}
