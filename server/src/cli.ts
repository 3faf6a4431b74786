#!/usr/bin/env node
/**
 * The `ringflag` command line: `serve`, `migrate`, `user add`, `user reset-password`, `keys create`.
 * Every command reads RINGFLAG_DB (default ./data/ringflag.db) like the server does.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { SYSTEM_ACTOR } from './features/audit/audit-event.js';
import { ROLES, type Role } from './features/auth/roles.js';
import { createSdkKeyService } from './features/sdk-keys/sdk-keys.service.js';
import { createUserService } from './features/users/users.service.js';
import { main } from './main.js';
import { prepare } from './server.js';

const USAGE = `Usage: ringflag <command>

  serve                                      start the server (RINGFLAG_* environment variables)
  migrate                                    apply database migrations and exit
  user add --email E --password P [--role R] [--name N]    roles: ${ROLES.join(', ')} (default viewer)
  user reset-password --email E --password P
  keys create --env E --type server|client   print a new SDK key (shown once)
`;

function fail(message: string): never {
  process.stderr.write(`ringflag: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function config() {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

async function run(argv: string[]): Promise<void> {
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command === 'serve') return main();
  const settings = config();
  if (command === 'migrate') {
    const database = openDatabase(settings.dbPath);
    migrateDatabase(database.db);
    database.close();
    process.stdout.write(`Migrated ${settings.dbPath}\n`);
    return;
  }
  const { deps, database } = await prepare({
    dbPath: settings.dbPath,
    secret: settings.secret,
    admin: settings.admin,
    demo: false,
  });
  try {
    switch (command) {
      case 'user add': {
        if (!values.email || !values.password) fail('user add needs --email and --password');
        const role = (values.role ?? 'viewer') as Role;
        if (!ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
        const user = await createUserService(deps).create(SYSTEM_ACTOR, {
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
        const user = await createUserService(deps).resetPassword(SYSTEM_ACTOR, values.email, values.password);
        process.stdout.write(`Password of ${user.email} reset; their sessions are ended\n`);
        return;
      }
      case 'keys create': {
        if (!values.env) fail('keys create needs --env');
        const type = values.type ?? 'server';
        if (type !== 'server' && type !== 'client') fail('--type must be server or client');
        const key = createSdkKeyService(deps).create(SYSTEM_ACTOR, values.env, type);
        process.stdout.write(`${key.key}\n`);
        return;
      }
      default:
        fail(`unknown command "${command}"`);
    }
  } finally {
    deps.hub.close();
    database.close();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`ringflag: ${message}\n`);
  process.exit(1);
});
