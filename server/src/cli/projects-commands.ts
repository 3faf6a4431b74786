import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { table } from './output.js';
import type { ProjectView } from './wire.js';

/** `projects list` and `projects create`: the organisation's projects (they take no `--project`). */
export const projectCommands: CommandSpec[] = [
  {
    words: ['projects', 'list'],
    usage: 'projects list [--archived]',
    summary: 'the projects you may act in, with your role in each (archived ones with --archived)',
    options: { archived: { type: 'boolean' } },
    organisation: true,
    async run(ctx) {
      const { items } = await ctx.api.get<{ items: ProjectView[] }>('/api/v1/projects', {
        archived: ctx.flag('archived') ? 'true' : 'false',
      });
      ctx.out.result(
        items.length === 0
          ? 'no projects'
          : table([
              ['KEY', 'ROLE', 'NAME'],
              ...items.map((project) => [
                project.key,
                project.role,
                `${project.name}${project.archived ? ' [archived]' : ''}`,
              ]),
            ]),
        { items },
      );
      return EXIT.ok;
    },
  },
  {
    words: ['projects', 'create'],
    usage: 'projects create KEY --name N',
    summary: 'create a project, with development, staging and production environments (organisation admins)',
    options: { name: { type: 'string' } },
    positionals: 1,
    organisation: true,
    async run(ctx) {
      const key = ctx.arg(0, 'KEY');
      const name = ctx.need('name');
      const { body } = await ctx.api.request<ProjectView>('POST', '/api/v1/projects', {
        body: { key, name },
      });
      ctx.out.result(
        `created project ${body.key} (${body.name}); act in it with --project ${body.key}`,
        body,
      );
      return EXIT.ok;
    },
  },
];
