/**
 * `@ringflag/admin-ui` — the React admin UI arrives with the admin UI issue. Until then the package
 * exists so the workspace layout is complete; it exports nothing else.
 */
export const ADMIN_API_BASE_PATH = '/api/v1';
