/**
 * `@ringflag/sdk-browser` — the browser SDK (values only, never rules) arrives with the browser SDK
 * issue. Until then the package exists so the workspace layout is complete; it exports nothing else.
 */
export const CLIENT_API_BASE_PATH = '/client/v1';
