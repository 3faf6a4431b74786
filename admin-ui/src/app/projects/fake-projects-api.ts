import { HttpResponse, http } from 'msw';
import type { SetupServer } from 'msw/node';
import type { Environment, Flag, ProjectMember, Role, User } from '../../types';

/** A project as the fake API keeps it: the caller's role there (null: none), its flags and members. */
export interface FakeProject {
  key: string;
  name: string;
  archived?: boolean;
  role: Role | null;
  flags?: string[];
  members?: ProjectMember[];
}

const T = '2030-01-01T00:00:00.000Z';

export const flagNamed = (key: string, name: string): Flag => ({
  key,
  name,
  description: '',
  kind: 'boolean',
  variations: [
    { id: 'off', value: false },
    { id: 'on', value: true },
  ],
  tags: [],
  owner: null,
  temporary: true,
  clientSide: false,
  archived: false,
  version: 1,
  createdAt: T,
  updatedAt: T,
});

const ENVIRONMENTS: Environment[] = [
  {
    key: 'production',
    name: 'Production',
    order: 0,
    requireApproval: false,
    corsOrigins: [],
    revision: 1,
    createdAt: T,
    updatedAt: T,
  },
];

export const userNamed = (id: number, email: string, projects: { key: string; role: Role }[] = []): User => ({
  id,
  email,
  name: email,
  orgAdmin: false,
  role: projects.find((p) => p.key === 'default')?.role ?? null,
  projects,
  sso: false,
  disabled: false,
  createdAt: T,
  updatedAt: T,
});

const TITLES: Record<number, string> = { 403: 'Forbidden', 404: 'Not found', 409: 'Conflict' };

const problem = (status: number, detail: string, errors: { path: string; message: string }[] = []) =>
  HttpResponse.json(
    { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, errors },
    { status, headers: { 'content-type': 'application/problem+json' } },
  );

/**
 * An admin API with projects, over msw: the caller (`orgAdmin` or not) has the role each project
 * says; a project without one answers 404, as the server does. Every request's method and path is
 * recorded in `seen`; writes in `writes`. Flag names are `Flag <key> of <project>`.
 */
export function fakeProjectsApi(
  server: SetupServer,
  {
    orgAdmin,
    projects,
    users = [],
    holdFlags = () => undefined,
  }: {
    orgAdmin: boolean;
    projects: FakeProject[];
    users?: User[];
    /** A project's flag list answers once what this returns for it settles. */
    holdFlags?: (project: string) => Promise<void> | undefined;
  },
) {
  const seen: string[] = [];
  const writes: string[] = [];
  server.events.on('request:start', ({ request }) => {
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
  });
  const me = (project: string, role: Role | null) => ({
    kind: 'user',
    id: 1,
    name: 'ada@example.com',
    role,
    orgAdmin,
    project,
    environments: null,
  });
  const find = (key: unknown) => projects.find((p) => p.key === key && (orgAdmin || p.role !== null));
  const view = (p: FakeProject) => ({
    key: p.key,
    name: p.name,
    archived: p.archived ?? false,
    role: orgAdmin ? 'admin' : p.role,
    createdAt: T,
    updatedAt: T,
  });
  server.use(
    http.get('*/api/v1/me', () => HttpResponse.json(me('default', find('default')?.role ?? null))),
    http.get('*/api/v1/projects', ({ request }) => {
      const archived = new URL(request.url).searchParams.get('archived') === 'true';
      const items = projects.filter((p) => find(p.key) && (p.archived ?? false) === archived).map(view);
      return HttpResponse.json({ items });
    }),
    http.post('*/api/v1/projects', async ({ request }) => {
      const body = (await request.json()) as { key: string; name: string };
      writes.push(`POST /projects ${JSON.stringify(body)}`);
      if (projects.some((p) => p.key === body.key)) {
        return problem(409, `A project "${body.key}" exists`, [{ path: 'key', message: 'is taken' }]);
      }
      const created: FakeProject = { key: body.key, name: body.name, role: 'admin', flags: [] };
      projects.push(created);
      return HttpResponse.json(view(created), { status: 201 });
    }),
    http.get('*/api/v1/projects/:project/me', ({ params }) => {
      const project = find(params.project);
      return project
        ? HttpResponse.json(me(project.key, orgAdmin ? 'admin' : project.role))
        : problem(404, `No project "${String(params.project)}"`);
    }),
    http.get('*/api/v1/projects/:project', ({ params }) => {
      const project = find(params.project);
      return project ? HttpResponse.json(view(project)) : problem(404, 'No project');
    }),
    http.patch('*/api/v1/projects/:project', async ({ params, request }) => {
      const project = find(params.project);
      if (!project) return problem(404, 'No project');
      const body = (await request.json()) as { name?: string; archived?: boolean };
      writes.push(`PATCH /projects/${project.key} ${JSON.stringify(body)}`);
      if (body.name !== undefined) project.name = body.name;
      if (body.archived !== undefined) project.archived = body.archived;
      return HttpResponse.json(view(project));
    }),
    http.get('*/api/v1/projects/:project/members', ({ params }) =>
      HttpResponse.json({ items: find(params.project)?.members ?? [] }),
    ),
    http.put('*/api/v1/projects/:project/members/:userId', async ({ params, request }) => {
      const project = find(params.project);
      const user = users.find((u) => String(u.id) === params.userId);
      if (!project || !user) return problem(404, 'No such user');
      const { role } = (await request.json()) as { role: Role };
      writes.push(`PUT /projects/${project.key}/members/${user.id} ${role}`);
      const others = (project.members ?? []).filter((m) => m.userId !== user.id);
      project.members = [...others, { userId: user.id, email: user.email, name: user.name, role }];
      return HttpResponse.json({ items: project.members });
    }),
    http.delete('*/api/v1/projects/:project/members/:userId', ({ params }) => {
      const project = find(params.project);
      if (!project) return problem(404, 'No project');
      writes.push(`DELETE /projects/${project.key}/members/${String(params.userId)}`);
      project.members = (project.members ?? []).filter((m) => String(m.userId) !== params.userId);
      return HttpResponse.json({ items: project.members });
    }),
    http.get('*/api/v1/users', () =>
      orgAdmin ? HttpResponse.json({ items: users }) : problem(403, 'This needs an organisation admin'),
    ),
    http.get('*/api/v1/projects/:project/flags', async ({ params }) => {
      await holdFlags(String(params.project));
      const project = find(params.project);
      if (!project) return problem(404, 'No project');
      const items = (project.flags ?? []).map((key) => flagNamed(key, `Flag ${key} of ${project.key}`));
      return HttpResponse.json({ items, nextCursor: null });
    }),
    http.get('*/api/v1/projects/:project/environments', () => HttpResponse.json({ items: ENVIRONMENTS })),
    // Every other list of a project (states, change requests, approvals, audit): empty.
    http.get('*/api/v1/projects/:project/*', ({ params }) =>
      find(params.project) ? HttpResponse.json({ items: [], nextCursor: null }) : problem(404, 'No project'),
    ),
  );
  return { seen, writes };
}
