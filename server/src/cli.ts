#!/usr/bin/env node
/**
 * The `ringflag` command line. Local commands (`serve`, `migrate`, `user add`, `user reset-password`,
 * `keys create`) read RINGFLAG_DB (default ./data/ringflag.db) like the server does; all but `serve`
 * name the database they use and create none unless given `--create`. Remote commands (`flags`,
 * `release`, `changes`, `promote`, `export`, `plan`, `apply`; see cli/) talk to a running server with
 * an API token (@ringflag/cli installs them alone). Modules load on demand, so a remote command does
 * not open the database stack.
 */
import { parseArgs } from 'node:util';
import { REMOTE_GROUPS } from './cli/groups.js';
import { ROLES, type Role } from './features/auth/roles.js';

const LOCAL_USAGE = `Usage: ringflag <command>

Local commands (on the database in RINGFLAG_DB, default ./data/ringflag.db):
  serve                                      start the server (RINGFLAG_* environment variables)
  migrate                                    apply database migrations and exit
  user add --email E --password P [--role R] [--name N]    roles: ${ROLES.join(', ')} (default viewer)
  user reset-password --email E --password P
  keys create --env E --type server|client   print a new SDK key (shown once)
  Each names the database it uses on stderr and refuses to create one unless given --create.

Relay (no database):
  relay --upstream URL                       serve SDKs from memory, following a server or relay
                                             (server keys in RINGFLAG_RELAY_SDK_KEYS; relay --help)
`;

/** The local commands that work on an existing database (`serve` creates its own, as the server does). */
const DATABASE_COMMANDS: ReadonlySet<string> = new Set([
  'migrate',
  'user add',
  'user reset-password',
  'keys create',
]);

async function usage(): Promise<string> {
  const { remoteUsage } = await import('./cli/index.js');
  return `${LOCAL_USAGE}\n${remoteUsage()}\nEvery command takes --help. More in docs/cli.md.\n`;
}

function fail(message: string): never {
  process.stderr.write(`ringflag: ${message}\n\n${LOCAL_USAGE}`);
  process.exit(2);
}

async function config() {
  const { ConfigError, loadConfig } = await import('./config.js');
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

async function run(argv: string[]): Promise<void> {
  if (argv[0] === 'relay') {
    const { relayMain } = await import('./relay/relay-main.js');
    return relayMain(argv.slice(1));
  }
  if (argv[0] !== undefined && REMOTE_GROUPS.has(argv[0])) {
    const { runRemote } = await import('./cli/index.js');
    process.exitCode = await runRemote(argv);
    return;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      env: { type: 'string' },
      type: { type: 'string' },
      create: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(await usage());
    return;
  }
  if (command === 'serve') return (await import('./main.js')).main();
  if (!DATABASE_COMMANDS.has(command)) fail(`unknown command "${command}"`);
  const settings = await config();
  const { describeLocation } = await import('./db/location.js');
  const where = describeLocation(settings.db);
  process.stderr.write(`ringflag: database ${where}\n`);
  const { databaseExists } = await import('./db/exists.js');
  if (!values.create && !(await databaseExists(settings.db))) {
    process.stderr.write(
      `ringflag: there is no Ringflag database at ${where}. Point RINGFLAG_DB at the server's database (a file or a PostgreSQL URL), or pass --create to create a new one there.\n`,
    );
    process.exit(2);
  }
  if (command === 'migrate') {
    const { openDatabase } = await import('./db/client.js');
    const { migrateDatabase, startupTurn } = await import('./db/migrate.js');
    const database = await openDatabase(settings.db);
    try {
      await startupTurn(database, () => migrateDatabase(database));
    } finally {
      await database.close();
    }
    process.stdout.write(`Migrated ${describeLocation(settings.db)}\n`);
    return;
  }
  const { prepare } = await import('./server.js');
  const { SYSTEM_ACTOR } = await import('./features/audit/audit-event.js');
  const { deps, services, database } = await prepare({
    db: settings.db,
    auditKeyFile: settings.auditKeyFile,
    secret: settings.secret,
    admin: settings.admin,
    demo: false,
    // A new database's generated admin password goes to stderr: stdout is the command's answer (a key).
    print: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    switch (command) {
      case 'user add': {
        if (!values.email || !values.password) fail('user add needs --email and --password');
        const role = (values.role ?? 'viewer') as Role;
        if (!ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
        const user = await services.users.create(SYSTEM_ACTOR, {
          email: values.email,
          password: values.password,
          role,
          name: values.name,
        });
        process.stdout.write(`Created ${user.email} (${user.role})\n`);
        return;
      }
      case 'user reset-password': {
        if (!values.email || !values.password) fail('user reset-password needs --email and --password');
        const user = await services.users.resetPassword(SYSTEM_ACTOR, values.email, values.password);
        process.stdout.write(`Password of ${user.email} reset; their sessions are ended\n`);
        return;
      }
      case 'keys create': {
        if (!values.env) fail('keys create needs --env');
        const type = values.type ?? 'server';
        if (type !== 'server' && type !== 'client') fail('--type must be server or client');
        const key = await services.sdkKeys.create(SYSTEM_ACTOR, values.env, type);
        process.stdout.write(`${key.key}\n`);
        return;
      }
      default:
        fail(`unknown command "${command}"`);
    }
  } finally {
    deps.hub.close();
    await deps.feed.stop();
    await database.close();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`ringflag: ${message}\n`);
  process.exit(1);
});
