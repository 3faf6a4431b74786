import { parseArgs } from 'node:util';
import { PROJECT_KEY_PATTERN } from '../features/projects/project-path.js';
import { createApiClient, DEFAULT_PROJECT_KEY } from './api-client.js';
import { flagsAsCodeCommands } from './as-code-commands.js';
import { auditCommands } from './audit-commands.js';
import { changeCommands } from './changes-commands.js';
import { badInput, CliError } from './cli-error.js';
import { accessors, type CommandSpec, type OptionsConfig, parseInteger, type Values } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { flagCommands } from './flags-commands.js';
import { createOutput, type Output } from './output.js';
import { projectCommands } from './projects-commands.js';
import { promoteCommands } from './promote-command.js';
import { releaseCommands } from './release-commands.js';

/** Every remote command, in the order `--help` lists them. */
export const REMOTE_COMMANDS: readonly CommandSpec[] = [
  ...flagCommands,
  ...releaseCommands,
  ...changeCommands,
  ...promoteCommands,
  ...flagsAsCodeCommands,
  ...auditCommands,
  ...projectCommands,
];

const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  'fail-on-pending': { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

/** The option of every command that acts in a project (all but the `projects` commands). */
const PROJECT_OPTION = { project: { type: 'string' } } as const satisfies OptionsConfig;

/** Where the environment may point the CLI; `--url`/`--token`/`--project` win. */
export interface RemoteEnv {
  RINGFLAG_URL?: string;
  RINGFLAG_TOKEN?: string;
  RINGFLAG_PROJECT?: string;
}

export interface RunRemoteOptions {
  env?: RemoteEnv;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  fetch?: typeof fetch;
}

export const DEFAULT_URL = 'http://127.0.0.1:4280';

function findSpec(argv: readonly string[]): CommandSpec | undefined {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  return REMOTE_COMMANDS.find((spec) => spec.words.every((word, i) => words[i] === word));
}

/**
 * Runs one remote command (`flags enable new-checkout --env staging`) and returns its exit code;
 * prints errors (the server's problem detail and field paths) on stderr.
 *
 * @example
 * process.exitCode = await runRemote(process.argv.slice(2));
 */
export async function runRemote(argv: readonly string[], options: RunRemoteOptions = {}): Promise<ExitCode> {
  const env = options.env ?? (process.env as RemoteEnv);
  const json = argv.includes('--json');
  const out = createOutput({ json, stdout: options.stdout, stderr: options.stderr });
  const spec = findSpec(argv);
  try {
    if (!spec) {
      const group = argv[0] ?? '';
      const known = REMOTE_COMMANDS.filter((candidate) => candidate.words[0] === group);
      throw new CliError(
        EXIT.badInput,
        `unknown command "${argv.filter((arg) => !arg.startsWith('-')).join(' ')}"\n\n${usageOf(known)}`,
      );
    }
    const { values, positionals } = parse(spec, argv);
    if (values.help === true) {
      out.raw(`Usage: ringflag ${spec.usage}\n  ${spec.summary}\n\n${GLOBAL_HELP}`);
      return EXIT.ok;
    }
    const rest = positionals.slice(spec.words.length);
    if (rest.length > (spec.positionals ?? 0)) {
      throw new CliError(EXIT.badInput, `unexpected argument "${rest[spec.positionals ?? 0]}"`);
    }
    const project = spec.organisation ? undefined : projectOf(values, env);
    const token = stringValue(values.token) ?? env.RINGFLAG_TOKEN;
    if (!token) throw new CliError(EXIT.auth, 'no API token: set RINGFLAG_TOKEN or pass --token');
    const timeout = stringValue(values.timeout);
    const api = createApiClient({
      baseUrl: stringValue(values.url) ?? env.RINGFLAG_URL ?? DEFAULT_URL,
      token,
      project,
      timeoutMs: timeout === undefined ? undefined : parseInteger(timeout, '--timeout', 1) * 1000,
      fetch: options.fetch,
    });
    const code = await spec.run({
      api,
      out,
      failOnPending: values['fail-on-pending'] === true,
      ...accessors(spec, values, rest),
    });
    return code ?? EXIT.ok;
  } catch (error) {
    return report(out, error, spec);
  }
}

function parse(spec: CommandSpec, argv: readonly string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { ...GLOBAL_OPTIONS, ...(spec.organisation ? {} : PROJECT_OPTION), ...spec.options },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(EXIT.badInput, `${message}\n\nUsage: ringflag ${spec.usage}`);
  }
}

/** The project a command acts in: `--project`, else `RINGFLAG_PROJECT`, else `default`; exit 2 when malformed. */
function projectOf(values: Values, env: RemoteEnv): string {
  const option = stringValue(values.project);
  const project = option ?? stringValue(env.RINGFLAG_PROJECT) ?? DEFAULT_PROJECT_KEY;
  if (!PROJECT_KEY_PATTERN.test(project)) {
    throw badInput(
      `${option === undefined ? 'RINGFLAG_PROJECT' : '--project'} must be a project key (1–64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit), not "${project}"`,
    );
  }
  return project;
}

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function report(out: Output, error: unknown, spec: CommandSpec | undefined): ExitCode {
  const cliError =
    error instanceof CliError
      ? error
      : new CliError(EXIT.unexpected, error instanceof Error ? error.message : String(error));
  if (out.json) {
    out.note(
      JSON.stringify({
        error: {
          exitCode: cliError.exitCode,
          status: cliError.status ?? null,
          title: cliError.title ?? null,
          detail: cliError.message,
          errors: cliError.errors,
        },
      }),
    );
  } else {
    const prefix = spec ? `ringflag ${spec.words.join(' ')}` : 'ringflag';
    const title = cliError.title && cliError.title !== cliError.message ? `${cliError.title}: ` : '';
    out.note(`${prefix}: ${title}${cliError.message}`);
    for (const field of cliError.errors) out.note(`  ${field.path || '(body)'}: ${field.message}`);
  }
  return cliError.exitCode;
}

function usageOf(specs: readonly CommandSpec[]): string {
  return specs.map((spec) => `  ${spec.usage}\n      ${spec.summary}`).join('\n');
}

const GLOBAL_HELP = `Remote options (every remote command):
  --url U             server URL (env RINGFLAG_URL, default ${DEFAULT_URL})
  --token T           API token rf_api_… (env RINGFLAG_TOKEN)
  --project P         the project to act in (env RINGFLAG_PROJECT, default "${DEFAULT_PROJECT_KEY}");
                      not taken by the projects commands
  --json              machine-readable output on stdout (errors as JSON on stderr)
  --fail-on-pending   exit 6 when a change awaits approval instead of 0
  --timeout S         seconds per request (default 30)

Exit codes:
  0  ok                              4  conflict or stale version (409, 412)
  1  unexpected error                5  auth: no/invalid token, missing role (401, 403)
  2  usage or bad input (400)        6  pending approval (202, with --fail-on-pending)
  3  not found (404)                 7  server unreachable
`;

/** The remote part of `ringflag --help`. */
export function remoteUsage(): string {
  return `Remote commands (talk to a server with an API token):\n${usageOf(REMOTE_COMMANDS)}\n\n${GLOBAL_HELP}`;
}
