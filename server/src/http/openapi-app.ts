import { OpenAPIHono, z } from '@hono/zod-openapi';
import { issuesToErrors, jsonValueSchema } from '@ringflag/sdk-node/engine';
import type { ZodType } from 'zod';
import type { AppEnv } from '../app-env.js';
import { ValidationError } from '../errors/index.js';

/**
 * A Hono app whose route validators throw {@link ValidationError} with field paths (`name`,
 * `query.limit`, `params.key`), so the one `onError` renders every rejected request the same way.
 */
export function createOpenApiApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
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

/** Response descriptions for `createRoute`; responses are documented by description. */
export function responses<const T extends Record<number, string>>(
  map: T,
): { [K in keyof T]: { description: T[K] } } {
  const out: Record<number, { description: string }> = {};
  for (const [status, description] of Object.entries(map)) out[Number(status)] = { description };
  return out as { [K in keyof T]: { description: T[K] } };
}

/** Security requirement for documented admin routes. */
export const ADMIN_SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { cookie: [] }];

type WithOpenApi = (this: ZodType, refId: string) => ZodType;

/**
 * Gives the engine's recursive JSON value schema a component name, so the document refers to it
 * instead of expanding it forever. zod 4 copies methods onto schemas when they are built, so schemas
 * the engine built before `@hono/zod-openapi` loaded lack `.openapi()`; call the prototype's.
 */
export function registerRecursiveSchemas(app: OpenAPIHono<AppEnv>): void {
  const openapi = (z.ZodType.prototype as unknown as { openapi: WithOpenApi }).openapi;
  app.openAPIRegistry.register('JsonValue', openapi.call(jsonValueSchema, 'JsonValue'));
}
