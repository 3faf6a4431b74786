import { type ApiClient, seg } from './api-client.js';
import type { CommandContext, CommandSpec } from './command.js';
import { parsePercent } from './command.js';
import { EXIT } from './exit-codes.js';
import { compact, table } from './output.js';
import { rolloutFallthrough, targetingOf } from './rollout.js';
import type { ChangeRequest, FlagConfig, FlagDetail, FlagView } from './wire.js';
import { outcomeOf, pendingExit, pendingLine } from './write-outcome.js';

const WRITE_OPTIONS = {
  env: { type: 'string' },
  comment: { type: 'string' },
  'apply-at': { type: 'string' },
} as const;

/** Every flag, following `nextCursor` page by page. */
export async function listAllFlags(api: ApiClient, query: { archived?: string; tag?: string } = {}) {
  const items: FlagView[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<{ items: FlagView[]; nextCursor: string | null }>('/api/v1/flags', {
      limit: '500',
      cursor,
      ...query,
    });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

/** A flag config with its version (the ETag the next write must match). */
export function getConfig(api: ApiClient, key: string, env: string): Promise<FlagConfig> {
  return api.get<FlagConfig>(`/api/v1/flags/${seg(key)}/environments/${seg(env)}`);
}

/** `comment` and `applyAt` when given: the API accepts both on every config write. */
export function writeExtras(ctx: CommandContext): { comment?: string; applyAt?: string } {
  const comment = ctx.option('comment');
  const applyAt = ctx.option('apply-at');
  return {
    ...(comment === undefined ? {} : { comment }),
    ...(applyAt === undefined ? {} : { applyAt }),
  };
}

function variationsLine(flag: FlagView): string {
  return flag.variations.map((variation) => `${variation.id}=${compact(variation.value)}`).join(', ');
}

async function toggle(ctx: CommandContext, enabled: boolean) {
  const key = ctx.arg(0, 'KEY');
  const env = ctx.need('env');
  const response = await ctx.api.request<FlagConfig | ChangeRequest>(
    'POST',
    `/api/v1/flags/${seg(key)}/environments/${seg(env)}/toggle`,
    { body: { enabled, ...writeExtras(ctx) } },
  );
  const outcome = outcomeOf(response);
  if (outcome.kind === 'pending') {
    ctx.out.result(`${key} in ${env}: ${pendingLine(outcome.changeRequest)}`, {
      status: 'pending',
      changeRequest: outcome.changeRequest,
    });
    return pendingExit(true, ctx.failOnPending);
  }
  ctx.out.result(`${key} is ${enabled ? 'on' : 'off'} in ${env} (version ${outcome.config.version})`, {
    status: 'applied',
    config: outcome.config,
  });
  return EXIT.ok;
}

/** `flags list|get|enable|disable|set-rollout`. */
export const flagCommands: CommandSpec[] = [
  {
    words: ['flags', 'list'],
    usage: 'flags list [--tag T] [--archived]',
    summary: 'list flags (archived ones with --archived)',
    options: { tag: { type: 'string' }, archived: { type: 'boolean' } },
    async run(ctx) {
      const flags = await listAllFlags(ctx.api, {
        archived: ctx.flag('archived') ? 'true' : 'false',
        tag: ctx.option('tag'),
      });
      ctx.out.result(
        flags.length === 0
          ? 'no flags'
          : table([
              ['KEY', 'KIND', 'TAGS', 'NAME'],
              ...flags.map((flag) => [flag.key, flag.kind, flag.tags.join(',') || '-', flag.name]),
            ]),
        { items: flags },
      );
      return EXIT.ok;
    },
  },
  {
    words: ['flags', 'get'],
    usage: 'flags get KEY [--env E]',
    summary: 'a flag and its state per environment; with --env, its config there',
    options: { env: { type: 'string' } },
    positionals: 1,
    async run(ctx) {
      const key = ctx.arg(0, 'KEY');
      const env = ctx.option('env');
      if (env !== undefined) {
        const config = await getConfig(ctx.api, key, env);
        ctx.out.result(JSON.stringify(config, null, 2), config);
        return EXIT.ok;
      }
      const flag = await ctx.api.get<FlagDetail>(`/api/v1/flags/${seg(key)}`);
      ctx.out.result(
        [
          `${flag.key} (${flag.kind})${flag.archived ? ' [archived]' : ''}: ${flag.name}`,
          ...(flag.description ? [flag.description] : []),
          `variations: ${variationsLine(flag)}`,
          `tags: ${flag.tags.join(', ') || '-'}  owner: ${flag.owner ?? '-'}  temporary: ${flag.temporary}  clientSide: ${flag.clientSide}`,
          '',
          ...table([
            ['ENVIRONMENT', 'STATE', 'VERSION'],
            ...Object.entries(flag.environments).map(([name, state]) => [
              name,
              state.enabled ? 'on' : 'off',
              String(state.version),
            ]),
          ]),
        ],
        flag,
      );
      return EXIT.ok;
    },
  },
  {
    words: ['flags', 'enable'],
    usage: 'flags enable KEY --env E [--comment C] [--apply-at ISO]',
    summary: 'turn a flag on (a change request where approval is required)',
    options: WRITE_OPTIONS,
    positionals: 1,
    run: (ctx) => toggle(ctx, true),
  },
  {
    words: ['flags', 'disable'],
    usage: 'flags disable KEY --env E [--comment C]',
    summary: 'turn a flag off: the kill switch, always immediate',
    options: WRITE_OPTIONS,
    positionals: 1,
    run: (ctx) => toggle(ctx, false),
  },
  {
    words: ['flags', 'set-rollout'],
    usage: 'flags set-rollout KEY --env E --percent N [--comment C] [--apply-at ISO]',
    summary: 'serve the "on" variation to N% (fallthrough rollout, salt = flag key: cohorts are kept)',
    options: { ...WRITE_OPTIONS, percent: { type: 'string' } },
    positionals: 1,
    async run(ctx) {
      const key = ctx.arg(0, 'KEY');
      const env = ctx.need('env');
      const percent = parsePercent(ctx.need('percent'), '--percent');
      const config = await getConfig(ctx.api, key, env);
      const fallthrough = rolloutFallthrough(config, percent);
      const response = await ctx.api.request<FlagConfig | ChangeRequest>(
        'PUT',
        `/api/v1/flags/${seg(key)}/environments/${seg(env)}`,
        { body: { ...targetingOf(config), fallthrough, ...writeExtras(ctx) }, ifMatch: config.version },
      );
      const outcome = outcomeOf(response);
      const [on] = 'rollout' in fallthrough ? fallthrough.rollout.variations : [];
      const what = `${percent}% get "${on?.variation}", the rest "${config.offVariation}"`;
      if (outcome.kind === 'pending') {
        ctx.out.result(`${key} in ${env} (${what}): ${pendingLine(outcome.changeRequest)}`, {
          status: 'pending',
          changeRequest: outcome.changeRequest,
        });
        return pendingExit(true, ctx.failOnPending);
      }
      if (!outcome.config.enabled) {
        ctx.out.note(`note: ${key} is off in ${env}; the rollout serves once it is enabled`);
      }
      ctx.out.result(`${key} in ${env}: ${what} (version ${outcome.config.version})`, {
        status: 'applied',
        config: outcome.config,
      });
      return EXIT.ok;
    },
  },
];
