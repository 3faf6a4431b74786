import type { AppDeps } from '../../app-env.js';
import { EnvironmentCache } from './environment-cache.js';
import { EvaluationCache } from './evaluation-cache.js';

/** What the browser surface (`/client/v1`) and OFREP (`/ofrep/v1`) share: their caches. */
export interface ClientSurface {
  /** Results per environment revision, scope and context (bounded: 10,000 entries, 32 Mi chars). */
  evaluations: EvaluationCache;
  /** Environment rows by id, current with every published revision. */
  environments: EnvironmentCache;
}

/**
 * Builds the shared caches of the browser-facing surfaces, once per app.
 *
 * @example
 * const surface = createClientSurface(deps);
 * registerClientRoutes(app, deps, surface);
 * registerOfrepRoutes(app, deps, surface);
 */
export function createClientSurface(deps: AppDeps): ClientSurface {
  return { evaluations: new EvaluationCache(), environments: new EnvironmentCache(deps.db, deps.hub) };
}
