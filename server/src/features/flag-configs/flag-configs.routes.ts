import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { flagConfigSchema, flagKeySchema } from '@ringflag/sdk-node/engine';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { etagOf, replacedVersion } from '../../http/etag.js';
import { ADMIN_SECURITY, jsonBody, responses } from '../../http/openapi-app.js';
import { principalOf, requireRole } from '../auth/authenticate.js';
import { writeOptionsShape } from '../change-requests/change-request-schemas.js';
import { changeRequestSchema } from '../change-requests/change-request-wire.js';
import { requestedResponse } from '../change-requests/requested-response.js';
import { environmentKeySchema } from '../environments/environment-schemas.js';
import { flagConfigWireSchema } from '../flags/flag-schemas.js';
import type { FlagConfigService, WriteOutcome } from './flag-configs.service.js';

/** The body of `PUT …/environments/{env}`: a DESIGN §2 config; flag-level fields may be left out. */
export const configInputSchema = flagConfigSchema
  .partial({ key: true, version: true, kind: true, variations: true })
  // Not `.partial()`: that keeps the engine's `.default(false)`, so a config sent without clientSide
  // would claim `false` and be refused for every client-side flag.
  .extend({ clientSide: z.boolean().optional(), ...writeOptionsShape })
  .strict();

export const toggleSchema = z.object({ enabled: z.boolean(), ...writeOptionsShape }).strict();

const params = z.object({ key: flagKeySchema, env: environmentKeySchema });
const base = { tags: ['flag configs'], security: ADMIN_SECURITY };

const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/flags/{key}/environments/{env}',
  summary: 'A flag config in one environment (ETag = version)',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({
    200: { description: 'The config', schema: flagConfigWireSchema },
    404: 'No such flag or environment',
  }),
});
const put = createRoute({
  ...base,
  method: 'put',
  path: '/api/v1/flags/{key}/environments/{env}',
  summary:
    'Replace a flag config (If-Match: the version read, or `version` in the body; If-Match: * for whatever is there; 412 when stale, 428 when neither)',
  description:
    'Applies at once (200), or answers 202 with a change request where the environment requires approval or the body has applyAt. The request holds the differences from the live config as operations; where approval is required they go into the caller’s own pending request on this flag and environment, if there is one (same id).',
  middleware: [requireRole('editor', 'environment')],
  request: { params, body: jsonBody(configInputSchema) },
  responses: responses({
    200: { description: 'The new config', schema: flagConfigWireSchema },
    202: {
      description: 'A change request (approval required, or scheduled by applyAt)',
      schema: changeRequestSchema,
    },
    400: 'Invalid',
    404: 'Not found',
    412: 'Stale version',
    428: 'Neither If-Match nor a version in the body',
  }),
});
const toggle = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/flags/{key}/environments/{env}/toggle',
  summary: 'Turn a flag on or off in one environment',
  description:
    'Turning off without applyAt is the kill switch: immediate for any editor, leaving pending requests alone. Turning on where approval is required, or any toggle with applyAt, answers 202 with a change request (a set-enabled operation), added to the caller’s own pending request on this flag and environment if there is one; toggling back what that request turned on drops it again.',
  middleware: [requireRole('editor', 'environment')],
  request: { params, body: jsonBody(toggleSchema) },
  responses: responses({
    200: { description: 'The new config', schema: flagConfigWireSchema },
    202: {
      description: 'A change request (approval required, or scheduled by applyAt)',
      schema: changeRequestSchema,
    },
    400: 'Invalid',
    404: 'Not found',
  }),
});

/** `/api/v1/flags/{key}/environments/{env}`: configs, with ETag / If-Match. */
export function registerFlagConfigRoutes(
  app: OpenAPIHono<AppEnv>,
  { configs }: { configs: FlagConfigService },
): void {
  app.openapi(get, async (c) => {
    const { key, env } = c.req.valid('param');
    const config = await configs.get(key, env);
    c.header('ETag', etagOf(config.version));
    return c.json(config, 200);
  });
  app.openapi(put, async (c) => {
    const { key, env } = c.req.valid('param');
    const { comment, applyAt, ...body } = c.req.valid('json');
    const expectedVersion = replacedVersion(c.req.header('if-match'), body.version, 'the config');
    const outcome = await configs.submitConfig(principalOf(c), key, env, body, {
      expectedVersion,
      comment,
      applyAt,
    });
    return respond(c, outcome);
  });
  app.openapi(toggle, async (c) => {
    const { key, env } = c.req.valid('param');
    const { enabled, comment, applyAt } = c.req.valid('json');
    const outcome = await configs.submitToggle(principalOf(c), key, env, enabled, {
      comment,
      applyAt,
    });
    return respond(c, outcome);
  });
}

/** 200 with the config (and its ETag), or 202 with the change request (and its Location). */
function respond(c: Context<AppEnv>, outcome: WriteOutcome) {
  if (outcome.kind === 'requested') return requestedResponse(c, outcome.changeRequest);
  c.header('ETag', etagOf(outcome.config.version));
  return c.json(outcome.config, 200);
}
