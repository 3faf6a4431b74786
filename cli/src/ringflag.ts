#!/usr/bin/env node
/**
 * `ringflag` as installed from @ringflag/cli: the remote commands (flags, releases, change requests,
 * promotion, flags as code, audit) that talk to a Ringflag server with an API token, and `ringflag
 * relay`, which serves SDKs from memory and needs no database either. They are the
 * server's own commands (server/src/cli), bundled into one file by scripts/build.ts, so a pipeline
 * installs them without the server's database stack. The local commands (`serve`, `migrate`,
 * `user …`, `keys create`) open the database and stay with the server: they are refused here with a
 * message saying where they run.
 */
import { REMOTE_GROUPS } from '../../server/src/cli/groups.js';
import { remoteUsage, runRemote } from '../../server/src/cli/index.js';

/** The first words of the server's local commands. */
const LOCAL_GROUPS: ReadonlySet<string> = new Set(['serve', 'migrate', 'user', 'keys']);

const RELAY_NOTE = `Relay:
  relay --upstream URL                       serve SDKs from memory, following a server or relay
                                             (server keys in RINGFLAG_RELAY_SDK_KEYS; relay --help)
`;

const LOCAL_NOTE = `The local commands (serve, migrate, user add, user reset-password, keys create) open the
server's database, so they run where the server runs: \`pnpm ringflag …\` in a Ringflag checkout.
Documentation: docs/cli.md in the Ringflag repository.
`;

async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first !== undefined && REMOTE_GROUPS.has(first)) return runRemote(argv);
  if (first === 'relay') {
    // Loaded on demand: a pipeline's command does not load the HTTP server.
    const { relayMain } = await import('../../server/src/relay/relay-main.js');
    await relayMain(argv.slice(1));
    return 0;
  }
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    process.stdout.write(`Usage: ringflag <command>\n\n${remoteUsage()}\n${RELAY_NOTE}\n${LOCAL_NOTE}`);
    return 0;
  }
  if (LOCAL_GROUPS.has(first)) {
    process.stderr.write(
      `ringflag: "${first}" is a local command of the server, not of @ringflag/cli.\n${LOCAL_NOTE}`,
    );
    return 2;
  }
  process.stderr.write(`ringflag: unknown command "${first}"; \`ringflag --help\` lists the commands\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ringflag: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
