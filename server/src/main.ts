/**
 * The composition root: configuration → database (migrated, seeded) → app → listen. Run it with
 * `tsx --conditions=ringflag-source server/src/main.ts` or `ringflag serve`.
 */
import type { AppOptions } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { describeLocation } from './db/location.js';
import { startServer } from './server.js';
import { stopOnSignals } from './stop-on-signals.js';

/** Starts the server from the environment; stops cleanly on SIGINT / SIGTERM. */
export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ringflag: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const server = await startServer({
    port: config.port,
    host: config.host,
    db: config.db,
    secret: config.secret,
    auditKeyFile: config.auditKeyFile,
    admin: config.admin,
    demo: config.demo,
    logLevel: config.logLevel,
    trustProxy: config.trustProxy,
    maxConnections: config.maxConnections,
    maxStreamsPerKey: config.maxStreamsPerKey,
    maxStreamsPerAddress: config.maxStreamsPerAddress,
    countsRetentionDays: config.retentionDays,
    app: { ...publicRateLimits(config), oidc: config.oidc },
  });
  process.stdout.write(`Ringflag is listening on ${server.url} (database ${describeLocation(config.db)})\n`);
  stopOnSignals(() => server.close());
}

const entry = process.argv[1] ?? '';
if (/[/\\]main\.(ts|js)$/.test(entry)) {
  main().catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'EADDRINUSE'
        ? `the port is already in use (${String((error as Error).message)})`
        : String(error);
    process.stderr.write(`ringflag: could not start: ${message}\n`);
    process.exit(1);
  });
}

/** The rate limits of the public surfaces that the configuration overrides (bursts follow the rate). */
function publicRateLimits(config: Config): AppOptions {
  const options: AppOptions = {};
  if (config.rateLimitPerKey !== undefined) {
    const perKey = { requestsPerSecond: config.rateLimitPerKey, burst: 2 * config.rateLimitPerKey };
    options.clientRateLimit = perKey;
    options.ofrepRateLimit = perKey;
  }
  if (config.rateLimitPerAddress !== undefined) {
    options.addressRateLimit = {
      requestsPerSecond: config.rateLimitPerAddress,
      burst: 5 * config.rateLimitPerAddress,
    };
  }
  return options;
}
