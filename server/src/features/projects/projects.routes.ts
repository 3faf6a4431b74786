import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../app-env.js';
import { ForbiddenError } from '../../errors/index.js';
import { ADMIN_SECURITY, jsonBody, listOf, responses } from '../../http/openapi-app.js';
import { memberOf, principalOf, requireRole, requireSignedIn } from '../auth/authenticate.js';
import { actorOf } from '../auth/principal.js';
import { roleSchema } from '../auth/roles.js';
import { PROJECT_KEY_PATTERN } from './project-path.js';
import { memberSchema, type ProjectService, projectSchema, projectView } from './projects.service.js';

export const projectKeySchema = z
  .string()
  .regex(PROJECT_KEY_PATTERN, 'must be 1–64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit');

const nameSchema = z.string().trim().min(1).max(256);
export const newProjectSchema = z.object({ key: projectKeySchema, name: nameSchema }).strict();
export const projectChangesSchema = z
  .object({ name: nameSchema.optional(), archived: z.boolean().optional() })
  .strict();

const base = { tags: ['projects'], security: ADMIN_SECURITY };
const params = z.object({ project: projectKeySchema });
const memberParams = params.extend({ userId: z.coerce.number().int().positive() });
const memberListSchema = listOf(memberSchema, 'ProjectMemberList');

const list = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/projects',
  summary: 'The projects you may see (org admins: all), with your role in each',
  middleware: [requireSignedIn()],
  request: { query: z.object({ archived: z.enum(['true', 'false']).optional() }) },
  responses: responses({
    200: { description: 'Projects by key', schema: listOf(projectSchema, 'ProjectList') },
  }),
});
const create = createRoute({
  ...base,
  method: 'post',
  path: '/api/v1/projects',
  summary: 'Create a project, with development, staging and production environments (org admins)',
  middleware: [requireRole('admin', 'organisation')],
  request: { body: jsonBody(newProjectSchema) },
  responses: responses({ 201: { description: 'The project', schema: projectSchema }, 409: 'Exists' }),
});
const get = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/projects/{project}',
  summary: 'One project, with your role in it',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({ 200: { description: 'The project', schema: projectSchema }, 404: 'Not found' }),
});
const update = createRoute({
  ...base,
  method: 'patch',
  path: '/api/v1/projects/{project}',
  summary: 'Rename (project admins), archive or unarchive (org admins) a project',
  description:
    'An archived project keeps serving its SDK keys but takes no changes until it is unarchived, and is left out of the project list unless `archived=true` is asked for. The default project cannot be archived.',
  middleware: [requireRole('admin', 'project')],
  request: { params, body: jsonBody(projectChangesSchema) },
  responses: responses({ 200: { description: 'The project', schema: projectSchema }, 404: 'Not found' }),
});
const members = createRoute({
  ...base,
  method: 'get',
  path: '/api/v1/projects/{project}/members',
  summary: 'Who has a role in the project (org admins have admin everywhere and are not listed)',
  middleware: [requireRole('viewer')],
  request: { params },
  responses: responses({ 200: { description: 'Members by user id', schema: memberListSchema } }),
});
const setMember = createRoute({
  ...base,
  method: 'put',
  path: '/api/v1/projects/{project}/members/{userId}',
  summary: "Set a user's role in the project (project admins)",
  middleware: [requireRole('admin', 'project')],
  request: { params: memberParams, body: jsonBody(z.object({ role: roleSchema }).strict()) },
  responses: responses({
    200: { description: 'The members', schema: memberListSchema },
    404: 'No such user',
  }),
});
const removeMember = createRoute({
  ...base,
  method: 'delete',
  path: '/api/v1/projects/{project}/members/{userId}',
  summary: "Take a user's role in the project away (project admins)",
  middleware: [requireRole('admin', 'project')],
  request: { params: memberParams },
  responses: responses({
    200: { description: 'The members', schema: memberListSchema },
    404: 'No such user',
  }),
});

/** `/api/v1/projects`: the project list, and each project's settings and members. */
export function registerProjectRoutes(
  app: OpenAPIHono<AppEnv>,
  { projects }: { projects: ProjectService },
): void {
  app.openapi(list, async (c) => {
    const { archived } = c.req.valid('query');
    const items = await projects.visible(principalOf(c), {
      archived: archived === undefined ? false : archived === 'true',
    });
    return c.json({ items }, 200);
  });
  app.openapi(create, async (c) => {
    return c.json(await projects.create(actorOf(principalOf(c)), c.req.valid('json')), 201);
  });
  app.openapi(get, async (c) => {
    return c.json(projectView(c.get('project')!, memberOf(c).role), 200);
  });
  app.openapi(update, async (c) => {
    const principal = principalOf(c);
    const changes = c.req.valid('json');
    if (changes.archived !== undefined && !principal.orgAdmin) {
      throw new ForbiddenError('Archiving a project needs an organisation admin', [
        { path: 'archived', message: 'org admins only' },
      ]);
    }
    const view = await projects.update(actorOf(principal), c.req.valid('param').project, changes);
    return c.json({ ...view, role: memberOf(c).role }, 200);
  });
  app.openapi(members, async (c) => {
    return c.json({ items: await projects.members(c.req.valid('param').project) }, 200);
  });
  app.openapi(setMember, async (c) => {
    const { project, userId } = c.req.valid('param');
    const items = await projects.setMember(
      actorOf(principalOf(c)),
      project,
      userId,
      c.req.valid('json').role,
    );
    return c.json({ items }, 200);
  });
  app.openapi(removeMember, async (c) => {
    const { project, userId } = c.req.valid('param');
    return c.json({ items: await projects.setMember(actorOf(principalOf(c)), project, userId, null) }, 200);
  });
}
