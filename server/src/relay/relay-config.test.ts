import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { DEFAULT_RELAY_PORT, loadRelayConfig, wantsHelp } from './relay-config.js';

const KEY_A = 'rf_srv_secret-value-a';
const KEY_B = 'rf_srv_secret-value-b';
const CLIENT_KEY = 'rf_cli_secret-value-c';
const UPSTREAM = 'https://flags.example.com';

/** The ConfigError `loadRelayConfig` throws for these settings. */
function problem(argv: string[], env: Record<string, string | undefined> = {}): ConfigError {
  try {
    loadRelayConfig(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadRelayConfig', () => {
  it('reads the environment, with defaults for what is not set', () => {
    const options = loadRelayConfig([], {
      RINGFLAG_UPSTREAM: UPSTREAM,
      RINGFLAG_RELAY_SDK_KEYS: ` ${KEY_A}, ${KEY_B},,`,
      RINGFLAG_RELAY_KEY_POLL_MS: '500',
      RINGFLAG_RATE_LIMIT_PER_KEY: '50',
      RINGFLAG_TRUST_PROXY: '10.0.0.0/8',
      RINGFLAG_LOG_LEVEL: 'info',
      // Not a relay setting: ignored.
      RINGFLAG_DB: './data/ringflag.db',
    });
    expect(options).toMatchObject({
      upstream: UPSTREAM,
      sdkKeys: [KEY_A, KEY_B],
      port: DEFAULT_RELAY_PORT,
      host: '127.0.0.1',
      dataDir: './data/relay',
      keyPollMs: 500,
      logLevel: 'info',
      trustProxy: ['10.0.0.0/8'],
      rateLimits: { perKey: { requestsPerSecond: 50, burst: 100 }, perAddress: undefined },
    });
  });

  it('lets an argument win over the environment, and ignores empty variables', () => {
    const options = loadRelayConfig(
      [
        '--upstream',
        'http://127.0.0.1:4280',
        '--sdk-key',
        KEY_B,
        '--sdk-key',
        KEY_A,
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--data-dir',
        '/var/lib/ringflag-relay',
      ],
      {
        RINGFLAG_UPSTREAM: UPSTREAM,
        RINGFLAG_RELAY_SDK_KEYS: 'rf_srv_from-the-environment',
        RINGFLAG_PORT: '9000',
        RINGFLAG_HOST: '',
        RINGFLAG_RELAY_DATA_DIR: './elsewhere',
      },
    );
    expect(options).toMatchObject({
      upstream: 'http://127.0.0.1:4280',
      sdkKeys: [KEY_B, KEY_A],
      port: 0,
      host: '0.0.0.0',
      dataDir: '/var/lib/ringflag-relay',
    });
    expect(
      loadRelayConfig(['--sdk-key', KEY_A], { RINGFLAG_UPSTREAM: UPSTREAM, RINGFLAG_HOST: '' }).host,
    ).toBe('127.0.0.1');
  });

  it('keeps nothing on disk with a data directory of "off"', () => {
    expect(
      loadRelayConfig(['--upstream', UPSTREAM, '--sdk-key', KEY_A, '--data-dir', 'off'], {}).dataDir,
    ).toBeUndefined();
    expect(
      loadRelayConfig([], {
        RINGFLAG_UPSTREAM: UPSTREAM,
        RINGFLAG_RELAY_SDK_KEYS: KEY_A,
        RINGFLAG_RELAY_DATA_DIR: 'OFF',
      }).dataDir,
    ).toBeUndefined();
  });

  it('says what is missing or wrong, never repeating a key', () => {
    expect(problem(['--sdk-key', KEY_A]).message).toMatch(/--upstream \(RINGFLAG_UPSTREAM\) is required/);
    expect(problem(['--upstream', UPSTREAM]).message).toMatch(
      /--sdk-key \(RINGFLAG_RELAY_SDK_KEYS\) needs at least one/,
    );
    for (const upstream of ['flags.example.com', 'ftp://flags.example.com', '']) {
      const error = problem(['--upstream', upstream, '--sdk-key', KEY_A]);
      expect(error.message).toMatch(
        /--upstream \(RINGFLAG_UPSTREAM\) must be an http:\/\/ or https:\/\/ URL/,
      );
      expect(error.message).not.toContain(KEY_A);
    }
    const client = problem(['--upstream', UPSTREAM, '--sdk-key', KEY_A, '--sdk-key', CLIENT_KEY]);
    expect(client.message).toMatch(/must be server keys/);
    const fromEnv = problem([], {
      RINGFLAG_UPSTREAM: 'nope',
      RINGFLAG_RELAY_SDK_KEYS: `${KEY_A},${CLIENT_KEY}`,
    });
    // Every problem at once.
    expect(fromEnv.message).toMatch(/RINGFLAG_UPSTREAM.*must be an http/);
    expect(fromEnv.message).toMatch(/must be server keys/);
    const badNumbers = problem(['--upstream', UPSTREAM, '--sdk-key', KEY_A, '--port', KEY_B], {
      RINGFLAG_RELAY_KEY_POLL_MS: '0',
    });
    expect(badNumbers.message).toMatch(/RINGFLAG_PORT must be a number/);
    expect(badNumbers.message).toMatch(/RINGFLAG_RELAY_KEY_POLL_MS must be at least 1/);
    // A second key given without its flag, an unknown option: still no key in the message.
    const positional = problem(['--upstream', UPSTREAM, '--sdk-key', KEY_A, KEY_B]);
    expect(positional.message).toMatch(/give each key with its own --sdk-key/);
    const unknown = problem(['--upstream', UPSTREAM, `--sdk-keys=${KEY_A}`]);
    expect(unknown.message).toMatch(/--sdk-keys/);
    for (const error of [client, fromEnv, badNumbers, positional, unknown]) {
      for (const key of [KEY_A, KEY_B, CLIENT_KEY]) expect(error.message).not.toContain(key);
    }
  });

  it('knows when the usage text is asked for', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['--upstream', UPSTREAM, '-h'])).toBe(true);
    expect(wantsHelp(['--upstream', UPSTREAM])).toBe(false);
  });
});
