/**
 * `ringflag relay`: reads the relay's settings, starts it, prints where it listens, and stops cleanly
 * on SIGINT / SIGTERM (pending SDK events get a last chance to go upstream; the state is written).
 */
import { ConfigError } from '../config.js';
import { stopOnSignals } from '../stop-on-signals.js';
import { loadRelayConfig, RELAY_USAGE, wantsHelp } from './relay-config.js';
import { startRelay } from './relay-server.js';

export async function relayMain(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  if (wantsHelp(argv)) {
    process.stdout.write(RELAY_USAGE);
    return;
  }
  let options: ReturnType<typeof loadRelayConfig>;
  try {
    options = loadRelayConfig(argv, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`ringflag relay: ${error.message}\n\n${RELAY_USAGE}`);
    process.exit(2);
  }
  const relay = await startRelay(options);
  const where = options.dataDir === undefined ? 'nothing persisted' : `state in ${options.dataDir}`;
  process.stdout.write(
    `Ringflag relay is listening on ${relay.url} (upstream ${options.upstream}, ${options.sdkKeys.length} environment(s), ${where})\n`,
  );
  stopOnSignals(() => relay.close());
}
