import { OpenAPIHono, z } from '@hono/zod-openapi';
import { issuesToErrors, jsonValueSchema } from '@ringflag/sdk-node/engine';
import type { ZodType } from 'zod';
import type { AppEnv } from '../app-env.js';
import { problemSchema, ValidationError } from '../errors/index.js';
import { PROJECT_KEY_PATTERN, PROJECT_SCOPED_RESOURCES } from '../features/projects/project-path.js';
import { PROBLEM_JSON } from './problem.js';

/**
 * A Hono app whose route validators throw {@link ValidationError} with field paths (`name`,
 * `query.limit`, `params.key`), so the one `onError` renders every rejected request the same way.
 * `getPath` maps a request to the path its route is registered under (see project-path.ts).
 */
export function createOpenApiApp(
  options: { getPath?: (request: Request) => string } = {},
): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    ...options,
    defaultHook: (result) => {
      if (!result.success) {
        const prefix = result.target === 'json' ? [] : [result.target === 'param' ? 'params' : result.target];
        throw new ValidationError(
          'The request does not pass validation',
          issuesToErrors(result.error.issues, prefix),
        );
      }
    },
  });
}

/** A required JSON request body for `createRoute`. */
export function jsonBody<T extends ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { 'application/json': { schema } } } as const;
}

/**
 * What a route answers with one status: a description alone (no body, or for 4xx/5xx a {@link problemSchema | Problem}
 * as `application/problem+json`), or a description and the body's schema (`application/json` unless
 * `mediaType` says otherwise, such as `text/event-stream`).
 */
export type ResponseSpec =
  | string
  | { description: string; schema: ZodType; mediaType?: string | readonly string[] };

type MediaTypesOf<S> = S extends { mediaType: infer M }
  ? M extends readonly (infer Each)[]
    ? Each & string
    : M & string
  : 'application/json';

type IsErrorStatus<K> = `${K & number}` extends `4${string}` | `5${string}` ? true : false;

/** The `createRoute` response a {@link ResponseSpec} stands for. */
export type ResponseOf<K, S> = S extends { description: infer D; schema: infer Schema }
  ? { description: D; content: { [M in MediaTypesOf<S>]: { schema: Schema } } }
  : IsErrorStatus<K> extends true
    ? { description: S; content: { 'application/problem+json': { schema: typeof problemSchema } } }
    : { description: S };

/**
 * The responses of a `createRoute`: per status a description, or a description and the body's schema.
 * A 4xx/5xx given by description alone answers a {@link problemSchema | Problem} (problem+json). The schemas type the
 * handler's `c.json(…)`, and openapi.test.ts requires one for every 2xx body.
 *
 * @example
 * responses({ 200: { description: 'The flag', schema: flagSchema }, 404: 'No such flag' })
 */
export function responses<const T extends Record<number, ResponseSpec>>(
  map: T,
): { [K in keyof T]: ResponseOf<K, T[K]> } {
  const out: Record<number, { description: string; content?: Record<string, { schema: ZodType }> }> = {};
  for (const [key, spec] of Object.entries(map) as [string, ResponseSpec][]) {
    const status = Number(key);
    if (typeof spec === 'string') {
      out[status] =
        status >= 400
          ? { description: spec, content: { [PROBLEM_JSON]: { schema: problemSchema } } }
          : { description: spec };
      continue;
    }
    const mediaTypes = typeof spec.mediaType === 'string' ? [spec.mediaType] : (spec.mediaType ?? []);
    const content: Record<string, { schema: ZodType }> = {};
    for (const mediaType of mediaTypes.length === 0 ? ['application/json'] : mediaTypes) {
      content[mediaType] = { schema: spec.schema };
    }
    out[status] = { description: spec.description, content };
  }
  return out as { [K in keyof T]: ResponseOf<K, T[K]> };
}

/**
 * `true` when `A` and `B` describe the same values (each assignable to the other), else `false`: for
 * `true satisfies Agrees<z.infer<typeof schema>, Type>`, which stops compiling when a schema and the
 * type it describes part.
 */
export type Agrees<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** A date and time, ISO 8601 (`2026-01-01T00:00:00.000Z`). */
export const timestampSchema = z.string().openapi({ format: 'date-time' });

/**
 * `schema` or null. For a named schema, where `.nullable()` would carry the name along and make the
 * named component itself nullable: the document refers to the component, or null.
 */
export function orNull<T extends ZodType>(schema: T) {
  return z.union([schema, z.null()]);
}

/** `{ items }`: a whole list, named `refId` in the document. */
export function listOf<T extends ZodType>(item: T, refId: string) {
  return z.object({ items: z.array(item) }).openapi(refId);
}

/** `{ items, nextCursor }`: one page of a list; `nextCursor` (null on the last page) asks for the next. */
export function pageOf<T extends ZodType>(item: T, refId: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(refId);
}

/** Security requirement for documented admin routes. */
export const ADMIN_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];

type WithOpenApi = (this: ZodType, refId: string) => ZodType;

/**
 * A copy of `schema` named `refId`: the document lists it once under `components.schemas` and refers to
 * it. For the engine's schemas: zod 4 copies methods onto schemas when they are built, so schemas the
 * engine built before `@hono/zod-openapi` loaded lack `.openapi()`; this calls the prototype's. Schemas
 * built with the `z` of `@hono/zod-openapi` call `.openapi(refId)` themselves.
 *
 * @example
 * export const flagConfigWireSchema = named(flagConfigSchema, 'FlagConfig');
 */
export function named<T extends ZodType>(schema: T, refId: string): T {
  const openapi = (z.ZodType.prototype as unknown as { openapi: WithOpenApi }).openapi;
  return openapi.call(schema, refId) as T;
}

/**
 * Gives the engine's recursive JSON value schema a component name, so the document refers to it
 * instead of expanding it forever (naming a lazy schema names the engine's own instance too).
 */
export function registerRecursiveSchemas(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.register('JsonValue', named(jsonValueSchema, 'JsonValue'));
}

/**
 * The OpenAPI document of `app`: every route registered with `createRoute` (each project-scoped one
 * also in its `/api/v1/projects/{project}/…` form), and the schemas they name.
 * `GET /api/v1/openapi.json` serves it; admin-ui's `gen:api` script turns it into the UI's wire types.
 * OpenAPI 3.1, whose JSON Schema has `null` (3.0 can only mark a typed schema `nullable`: JSON values
 * and nullable references would come out as anything).
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>): OpenApiDocument {
  return withProjectPaths(
    app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Ringflag',
        version: '1',
        description:
          'Feature flags for dark launches and progressive delivery: admin API and server SDK surface.',
      },
    }),
  );
}

type OpenApiDocument = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>;
type PathItem = NonNullable<OpenApiDocument['paths']>[string];
type Operation = NonNullable<PathItem['get']>;

const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The `{project}` path parameter of a project-scoped route's `/api/v1/projects/{project}/…` form. */
const PROJECT_PARAMETER = {
  name: 'project',
  in: 'path',
  required: true,
  description: 'The key of the project. The same path without `/projects/{project}` acts in `default`.',
  schema: { type: 'string', pattern: PROJECT_KEY_PATTERN.source },
} as const;

/**
 * `document` with every project-scoped path (`/api/v1/flags/…`, see project-path.ts) also under
 * `/api/v1/projects/{project}/…`, right after it: the same operations, with the `project` parameter
 * first (and `InProject` after an `operationId`).
 */
function withProjectPaths(document: OpenApiDocument): OpenApiDocument {
  const scopedResources: readonly string[] = PROJECT_SCOPED_RESOURCES;
  const paths: NonNullable<OpenApiDocument['paths']> = {};
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    paths[path] = item;
    const resource = /^\/api\/v1\/([^/]+)/.exec(path)?.[1];
    if (resource === undefined || !scopedResources.includes(resource)) continue;
    const scoped: PathItem = { ...item };
    for (const method of OPERATION_METHODS) {
      const operation = item[method];
      if (operation) scoped[method] = inProjectForm(operation);
    }
    paths[`/api/v1/projects/{project}${path.slice('/api/v1'.length)}`] = scoped;
  }
  return { ...document, paths };
}

/** An operation of a project-scoped path, as its `/api/v1/projects/{project}/…` form documents it. */
function inProjectForm(operation: Operation): Operation {
  return {
    ...operation,
    ...(operation.operationId === undefined ? {} : { operationId: `${operation.operationId}InProject` }),
    parameters: [PROJECT_PARAMETER, ...(operation.parameters ?? [])],
  };
}
