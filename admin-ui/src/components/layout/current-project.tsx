import { createContext, useCallback, useContext } from 'react';

const Context = createContext<string | null>(null);

/** Gives the pages below it their project (the `{project}` of `/p/{project}/…`). */
export const CurrentProjectProvider = Context.Provider;

/** The key of the project the page is in; null outside the project pages (sign-in, redirects). */
export function useCurrentProject(): string | null {
  return useContext(Context);
}

/**
 * The address of a page of a project.
 *
 * @example
 * projectHref('payments', '/flags/new-checkout'); // '/p/payments/flags/new-checkout'
 */
export function projectHref(project: string, path: string): string {
  return `/p/${encodeURIComponent(project)}${path}`;
}

/**
 * Turns a page path of the current project (`/flags/x`) into its address (`/p/payments/flags/x`).
 * Outside a project, paths stay as they are: the old addresses, which lead to the default project.
 *
 * @example
 * const to = useProjectPath();
 * <Link to={to(`/flags/${key}`)}>…</Link>
 */
export function useProjectPath(): (path: string) => string {
  const project = useCurrentProject();
  return useCallback((path: string) => (project === null ? path : projectHref(project, path)), [project]);
}

/** The page kinds every project has, by the first segment of their path. */
const SECTIONS = new Set([
  'flags',
  'segments',
  'changes',
  'audit',
  'environments',
  'keys',
  'tokens',
  'settings',
  'users',
  'account',
]);

/**
 * Where switching to `project` leads from the address `pathname`: the same kind of page there (its
 * list, since a flag or segment of one project is not in another), or its flags.
 *
 * @example
 * switchedPath('/p/default/flags/new-checkout/staging', 'payments'); // '/p/payments/flags'
 * switchedPath('/p/default/audit', 'payments'); // '/p/payments/audit'
 */
export function switchedPath(pathname: string, project: string): string {
  const section = /^\/p\/[^/]+\/([^/?#]+)/.exec(pathname)?.[1];
  return projectHref(project, `/${section !== undefined && SECTIONS.has(section) ? section : 'flags'}`);
}

const STORAGE_KEY = 'ringflag.project';

/** The project this browser last worked in, where `/` leads. */
export function rememberedProject(): string | null {
  return localStorage.getItem(STORAGE_KEY);
}

export function rememberProject(project: string): void {
  localStorage.setItem(STORAGE_KEY, project);
}
