#!/usr/bin/env node
/**
 * The `ringflag` command line. Local commands (`serve`, `migrate`, `user add`, `user reset-password`,
 * `keys create`) read RINGFLAG_DB (default ./data/ringflag.db) like the server does; all but `serve`
 * name the database they use and create none unless given `--create`; `user add` and `keys create`
 * act in the project `--project` names (default `default`). Remote commands (`flags`, `release`,
 * `changes`, `promote`, `export`, `plan`, `apply`, `audit`, `projects`; see cli/) talk to a running
 * server with an API token (@ringflag/cli installs them alone). Modules load on demand, so a remote
 * command does not open the database stack.
 */
import { parseArgs } from 'node:util';
import { REMOTE_GROUPS } from './cli/groups.js';
import { ROLES, type Role } from './features/auth/roles.js';

const LOCAL_USAGE = `Usage: ringflag <command>

Local commands (on the database in RINGFLAG_DB, default ./data/ringflag.db):
  serve                                      start the server (RINGFLAG_* environment variables)
  migrate                                    apply database migrations and exit
  user add --email E --password P [--role R] [--project P] [--org-admin] [--name N]
                                             a user with role R (default viewer) in project P
                                             (default: default); roles: ${ROLES.join(', ')}
                                             --org-admin: manages users and projects, admin in
                                             every project (admin in default makes one too)
  user reset-password --email E --password P
  keys create --env E --type server|client [--project P]
                                             print a new SDK key of environment E in project P
                                             (default: default), shown once
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
      project: { type: 'string' },
      'org-admin': { type: 'boolean' },
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
  const { DEFAULT_PROJECT, servicesInProject } = await import('./features/projects/project-scope.js');
  const { findProjectByKey } = await import('./features/projects/projects.store.js');
  const {
    deps,
    services: allServices,
    database,
  } = await prepare({
    db: settings.db,
    auditKeyFile: settings.auditKeyFile,
    secret: settings.secret,
    admin: settings.admin,
    demo: false,
    // A new database's generated admin password goes to stderr: stdout is the command's answer (a key).
    print: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    // The project the command acts in (`--project`, default `default`); its services run in it.
    const projectKey = values.project ?? DEFAULT_PROJECT.key;
    const project =
      projectKey === DEFAULT_PROJECT.key ? DEFAULT_PROJECT : await findProjectByKey(database, projectKey);
    if (!project) fail(`there is no project "${projectKey}" in ${where}`);
    const services = servicesInProject(allServices, project);
    switch (command) {
      case 'user add': {
        if (!values.email || !values.password) fail('user add needs --email and --password');
        const role = (values.role ?? 'viewer') as Role;
        if (!ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
        const inDefault = project.key === DEFAULT_PROJECT.key;
        const created = await services.users.create(SYSTEM_ACTOR, {
          email: values.email,
          password: values.password,
          // The role given at creation is the one in the default project; another project's is set after.
          role: inDefault ? role : undefined,
          orgAdmin: values['org-admin'] === true ? true : undefined,
          name: values.name,
        });
        if (!inDefault) await services.projects.setMember(SYSTEM_ACTOR, project.key, created.id, role);
        const orgAdmin = created.orgAdmin ? ', organisation admin' : '';
        process.stdout.write(`Created ${created.email} (${role} in ${project.key}${orgAdmin})\n`);
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
