import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, countSchema, portSchema, servingSettings } from '../config.js';
import type { StartRelayOptions } from './relay-server.js';

/** The relay's port when none is set (the server's is 4280). */
export const DEFAULT_RELAY_PORT = 4281;

export const RELAY_USAGE = `Usage: ringflag relay --upstream URL --sdk-key KEY [--sdk-key KEY …] [--port N] [--host H] [--data-dir DIR]

Follows a Ringflag server (or another relay) and serves its SDKs from memory.
  --upstream URL    the server or relay to follow                      (RINGFLAG_UPSTREAM)
  --sdk-key KEY     a server key (rf_srv_…) per environment to serve    (RINGFLAG_RELAY_SDK_KEYS, comma-separated;
                    prefer the variable: arguments show in process lists)
  --port N          default ${DEFAULT_RELAY_PORT}                                        (RINGFLAG_PORT)
  --host H          default 127.0.0.1; 0.0.0.0 to serve other machines  (RINGFLAG_HOST)
  --data-dir DIR    where the last flags are kept, to serve at once after a restart while the
                    upstream is away; default ./data/relay, "off" keeps nothing (RINGFLAG_RELAY_DATA_DIR)
Also read: RINGFLAG_RELAY_KEY_POLL_MS (default 2000), RINGFLAG_LOG_LEVEL, RINGFLAG_TRUST_PROXY,
RINGFLAG_MAX_CONNECTIONS, RINGFLAG_MAX_STREAMS_PER_KEY, RINGFLAG_MAX_STREAMS_PER_ADDRESS,
RINGFLAG_RATE_LIMIT_PER_KEY, RINGFLAG_RATE_LIMIT_PER_ADDRESS. More in docs/relay.md.
`;

const upstreamSchema = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'must be an http:// or https:// URL',
  });

const keysSchema = z
  .array(z.string())
  .min(1, 'needs at least one server key')
  .refine((keys) => keys.every((key) => key.startsWith('rf_srv_')), {
    // Never repeats the value: it is a secret.
    message: 'must be server keys (rf_srv_…); client keys are served through the relay, not used by it',
  });

const relaySchema = z.object({
  RINGFLAG_UPSTREAM: upstreamSchema,
  RINGFLAG_RELAY_SDK_KEYS: keysSchema,
  ...servingSettings,
  RINGFLAG_PORT: portSchema.default(DEFAULT_RELAY_PORT),
  RINGFLAG_RELAY_DATA_DIR: z.string().min(1).default('./data/relay'),
  RINGFLAG_RELAY_KEY_POLL_MS: countSchema.optional(),
});

/**
 * Reads the relay's settings from its arguments, then its environment (an argument wins); throws a
 * {@link ConfigError} naming every bad setting, never a key's value.
 *
 * @example
 * loadRelayConfig(['--upstream', 'https://flags.example.com'], { RINGFLAG_RELAY_SDK_KEYS: 'rf_srv_…' });
 */
export function loadRelayConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): StartRelayOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    // Node names a stray argument in its message, and a stray argument may be a key: never repeated.
    throw new ConfigError(
      (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
        ? 'Invalid relay configuration: an argument without an option; give each key with its own --sdk-key'
        : (error as Error).message,
    );
  }
  const set = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  const fromEnv = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => name.startsWith('RINGFLAG_') && value !== ''),
  );
  const keys = values['sdk-key'] ?? set(env.RINGFLAG_RELAY_SDK_KEYS)?.split(',') ?? [];
  const parsed = relaySchema.safeParse({
    ...fromEnv,
    RINGFLAG_UPSTREAM: values.upstream ?? set(env.RINGFLAG_UPSTREAM),
    RINGFLAG_RELAY_SDK_KEYS: keys.map((key) => key.trim()).filter((key) => key !== ''),
    RINGFLAG_PORT: values.port ?? set(env.RINGFLAG_PORT),
    RINGFLAG_HOST: values.host ?? set(env.RINGFLAG_HOST),
    RINGFLAG_RELAY_DATA_DIR: values['data-dir'] ?? set(env.RINGFLAG_RELAY_DATA_DIR),
  });
  if (!parsed.success) {
    const names: Record<string, string> = {
      RINGFLAG_UPSTREAM: '--upstream (RINGFLAG_UPSTREAM)',
      RINGFLAG_RELAY_SDK_KEYS: '--sdk-key (RINGFLAG_RELAY_SDK_KEYS)',
    };
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return `${names[name] ?? name} ${issue.path[0] === 'RINGFLAG_UPSTREAM' && issue.code === 'invalid_type' ? 'is required' : issue.message}`;
    });
    throw new ConfigError(`Invalid relay configuration: ${problems.join('; ')}`);
  }
  const value = parsed.data;
  const dataDir = value.RINGFLAG_RELAY_DATA_DIR;
  return {
    upstream: value.RINGFLAG_UPSTREAM,
    sdkKeys: value.RINGFLAG_RELAY_SDK_KEYS,
    port: value.RINGFLAG_PORT,
    host: value.RINGFLAG_HOST,
    dataDir: dataDir.toLowerCase() === 'off' ? undefined : dataDir,
    keyPollMs: value.RINGFLAG_RELAY_KEY_POLL_MS,
    logLevel: value.RINGFLAG_LOG_LEVEL,
    trustProxy: value.RINGFLAG_TRUST_PROXY,
    maxConnections: value.RINGFLAG_MAX_CONNECTIONS,
    maxStreamsPerKey: value.RINGFLAG_MAX_STREAMS_PER_KEY,
    maxStreamsPerAddress: value.RINGFLAG_MAX_STREAMS_PER_ADDRESS,
    rateLimits: {
      perKey:
        value.RINGFLAG_RATE_LIMIT_PER_KEY === undefined
          ? undefined
          : {
              requestsPerSecond: value.RINGFLAG_RATE_LIMIT_PER_KEY,
              burst: 2 * value.RINGFLAG_RATE_LIMIT_PER_KEY,
            },
      perAddress:
        value.RINGFLAG_RATE_LIMIT_PER_ADDRESS === undefined
          ? undefined
          : {
              requestsPerSecond: value.RINGFLAG_RATE_LIMIT_PER_ADDRESS,
              burst: 5 * value.RINGFLAG_RATE_LIMIT_PER_ADDRESS,
            },
    },
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      upstream: { type: 'string' },
      'sdk-key': { type: 'string', multiple: true },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Whether the arguments ask for the usage text. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
