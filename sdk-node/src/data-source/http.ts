/** The SDK's version, sent in `User-Agent` so the server can tell SDK builds apart. */
export const SDK_USER_AGENT = 'ringflag-sdk-node/0.1.0';

/**
 * An HTTP answer the SDK cannot use. `status` 401 and 403 mean the SDK key was refused: the SDK
 * stops for good instead of hammering the server with a key that will not work.
 *
 * @example
 * flags.on('error', (error) => { if (error instanceof RingflagHttpError && error.fatal) page(); });
 */
export class RingflagHttpError extends Error {
  override readonly name = 'RingflagHttpError';

  constructor(
    message: string,
    readonly status: number,
    /** The SDK gave up and will not retry. */
    readonly fatal: boolean,
  ) {
    super(message);
  }
}

/** Whether an HTTP status means the SDK key is refused (bad, revoked, or a client key). */
export function isAuthFailure(status: number): boolean {
  return status === 401 || status === 403;
}

/** The error for a refused SDK key. Names no secret. */
export function authError(status: number, what: string): RingflagHttpError {
  return new RingflagHttpError(
    `Ringflag refused the SDK key (HTTP ${status}) on ${what}: use a server key (rf_srv_…) of the ` +
      'environment that is not revoked; the SDK stopped and will not retry',
    status,
    true,
  );
}

/** Headers every SDK request carries. */
export function sdkHeaders(sdkKey: string): Record<string, string> {
  return { Authorization: sdkKey, 'User-Agent': SDK_USER_AGENT };
}

/** Joins the server's base URL (with or without a trailing slash or a path prefix) and an SDK path. */
export function sdkUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/** A signal that aborts on `parent` or after `timeoutMs`, whichever comes first. */
export function requestSignal(parent: AbortSignal, timeoutMs: number): AbortSignal {
  // AbortSignal.timeout's timer is unref'ed by Node, so it never holds the process open.
  return AbortSignal.any([parent, AbortSignal.timeout(timeoutMs)]);
}

/** A short description of a fetch failure, for logs. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/**
 * Lets go of a response body the SDK will not read, so the connection is released. Not awaited:
 * some fetch implementations settle the cancellation late or never, and nothing depends on it.
 */
export function discardBody(response: Response): void {
  response.body?.cancel().catch(() => {});
}
