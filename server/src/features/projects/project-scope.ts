import { AsyncLocalStorage } from 'node:async_hooks';
import type { EnvironmentRef } from '../../db/schema.js';

/** The project a request or a job acts in. */
export interface ProjectScope {
  readonly id: number;
  readonly key: string;
}

/** The project every database has (id 1): where everything from before projects lives. */
export const DEFAULT_PROJECT: ProjectScope = Object.freeze({ id: 1, key: 'default' });

const scope = new AsyncLocalStorage<ProjectScope>();

/**
 * Runs `body` in a project: the stores' lookups by key (flags, segments, environments, change
 * requests, tokens) and their inserts act in that project, and audit events record it. The admin API
 * sets it per request from the URL; jobs set it per record they work on.
 *
 * @example
 * await inProject(project, () => services.flags.list({ limit: 100 }));
 */
export function inProject<T>(project: ProjectScope, body: () => T): T {
  return scope.run({ id: project.id, key: project.key }, body);
}

/**
 * The project in scope. Throws when there is none: a lookup by key outside a project is a bug, and
 * acting in some default instead would cross from one project into another.
 */
export function projectInScope(): ProjectScope {
  const project = scope.getStore();
  if (!project) throw new Error('no project in scope: wrap the call in inProject()');
  return project;
}

/** The project in scope, or undefined outside one (organisation-level actions). */
export function projectInScopeOrNone(): ProjectScope | undefined {
  return scope.getStore();
}

/**
 * The identity of an environment across projects: its key in the default project (so databases from
 * before projects keep their change log and SDK caches), `project/key` in others. Keys cannot hold `/`.
 *
 * @example
 * environmentRef('payments', 'production'); // 'payments/production'
 */
export function environmentRef(projectKey: string, environmentKey: string): EnvironmentRef {
  return (
    projectKey === DEFAULT_PROJECT.key ? environmentKey : `${projectKey}/${environmentKey}`
  ) as EnvironmentRef;
}

/**
 * The services as a caller in one project sees them: every method of every service runs in
 * `project`. For callers that are not requests: the command line, seeding, tests.
 *
 * @example
 * const inDefault = servicesInProject(services, DEFAULT_PROJECT);
 * await inDefault.flags.create(SYSTEM_ACTOR, { key: 'f', kind: 'boolean' });
 */
export function servicesInProject<S extends object>(services: S, project: ProjectScope): S {
  return new Proxy(services, {
    get(target, name, receiver) {
      const service: unknown = Reflect.get(target, name, receiver);
      if (typeof service !== 'object' || service === null) return service;
      return new Proxy(service, {
        get(inner, method) {
          const value: unknown = Reflect.get(inner, method, inner);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => inProject(project, () => Reflect.apply(value, inner, args));
        },
      });
    },
  });
}
