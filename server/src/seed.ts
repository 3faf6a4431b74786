import { randomBytes } from 'node:crypto';
import type { Database } from './db/client.js';
import { SYSTEM_ACTOR } from './features/audit/audit-event.js';
import { DEFAULT_ENVIRONMENTS } from './features/environments/default-environments.js';
import { listEnvironments } from './features/environments/environments.store.js';
import { DEFAULT_PROJECT, inProject } from './features/projects/project-scope.js';
import { listUsers } from './features/users/users.store.js';
import type { Services } from './services.js';

/** What to seed an empty database with. */
export interface SeedOptions {
  /** The first admin; without it, admin@localhost with a random password, printed once. */
  admin?: { email: string; password: string };
  /** Add the demo flags (`new-checkout`, `demo-banner`) and segment (`beta-testers`). */
  demo?: boolean;
  /** Where the generated admin password is printed (stdout by default). */
  print?: (line: string) => void;
}

export { DEFAULT_ENVIRONMENTS };

/**
 * Seeds an empty database: the three environments, the first admin and (optionally) a demo flag set.
 * Each part is skipped when it already exists, so seeding every start is harmless.
 */
export async function seedDatabase(
  database: Database,
  services: Services,
  options: SeedOptions = {},
): Promise<void> {
  await inProject(DEFAULT_PROJECT, () => seedDefaultProject(database, services, options));
}

async function seedDefaultProject(
  database: Database,
  services: Services,
  options: SeedOptions,
): Promise<void> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const freshEnvironments = (await listEnvironments(database)).length === 0;
  if (freshEnvironments) {
    for (const [order, env] of DEFAULT_ENVIRONMENTS.entries()) {
      await services.environments.create(SYSTEM_ACTOR, { ...env, order });
    }
  }
  if ((await listUsers(database)).length === 0) {
    const { users } = services;
    const generated = options.admin === undefined;
    const admin = options.admin ?? {
      email: 'admin@localhost',
      password: randomBytes(12).toString('base64url'),
    };
    await users.create(SYSTEM_ACTOR, { ...admin, name: 'Administrator', role: 'admin', orgAdmin: true });
    if (generated) {
      print(
        `Created the first admin: ${admin.email} / ${admin.password}  (shown once; change it after logging in)`,
      );
    }
  }
  if (freshEnvironments && options.demo) await seedDemo(services);
}

async function seedDemo(services: Services): Promise<void> {
  const { flags, configs } = services;
  await services.segments.create(SYSTEM_ACTOR, {
    key: 'beta-testers',
    name: 'Beta testers',
    included: ['user-1', 'user-2'],
  });
  await flags.create(SYSTEM_ACTOR, {
    key: 'new-checkout',
    name: 'New checkout',
    description: 'The redesigned checkout, released ring by ring: staff first, then beta testers.',
    kind: 'boolean',
    tags: ['demo', 'checkout'],
  });
  await flags.create(SYSTEM_ACTOR, {
    key: 'demo-banner',
    name: 'Demo banner',
    description: 'A banner the browser SDK can see (clientSide).',
    kind: 'boolean',
    clientSide: true,
    tags: ['demo'],
  });
  for (const env of ['development', 'staging', 'production']) {
    await configs.put(SYSTEM_ACTOR, 'new-checkout', env, {
      enabled: env !== 'production',
      offVariation: 'off',
      rules: [
        {
          id: 'staff',
          name: 'ring 0: staff',
          clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
          serve: { variation: 'on' },
        },
        {
          id: 'beta',
          name: 'ring 1: beta testers',
          clauses: [{ op: 'inSegment', values: ['beta-testers'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'off' },
    });
  }
  await configs.toggle(SYSTEM_ACTOR, 'demo-banner', 'development', true);
  await services.demo.createClientKey();
}
