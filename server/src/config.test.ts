import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    expect(loadConfig({})).toEqual({
      port: 4280,
      host: '127.0.0.1',
      db: { dialect: 'sqlite', file: './data/ringflag.db' },
      secret: undefined,
      admin: undefined,
      demo: true,
      logLevel: 'info',
      auditKeyFile: undefined,
      trustProxy: [],
      maxConnections: undefined,
      maxStreamsPerKey: undefined,
      maxStreamsPerAddress: undefined,
    });
  });

  it('reads the trusted proxies and connection limits, and refuses what is not an address or a count', () => {
    expect(
      loadConfig({
        RINGFLAG_TRUST_PROXY: '10.0.0.0/8, ::1',
        RINGFLAG_MAX_CONNECTIONS: '5000',
        RINGFLAG_MAX_STREAMS_PER_KEY: '2000',
        RINGFLAG_MAX_STREAMS_PER_ADDRESS: '50',
      }),
    ).toMatchObject({
      trustProxy: ['10.0.0.0/8', '::1'],
      maxConnections: 5000,
      maxStreamsPerKey: 2000,
      maxStreamsPerAddress: 50,
    });
    expect(loadConfig({ RINGFLAG_TRUST_PROXY: 'off' }).trustProxy).toEqual([]);
    expect(() => loadConfig({ RINGFLAG_TRUST_PROXY: 'proxy.internal' })).toThrow(
      'RINGFLAG_TRUST_PROXY must be off',
    );
    expect(() => loadConfig({ RINGFLAG_TRUST_PROXY: '10.0.0.0/33' })).toThrow('RINGFLAG_TRUST_PROXY');
    expect(() => loadConfig({ RINGFLAG_MAX_CONNECTIONS: '0' })).toThrow(
      'RINGFLAG_MAX_CONNECTIONS must be at least 1',
    );
  });

  it('turns the demo data and the log level off when asked, and refuses other values', () => {
    expect(loadConfig({ RINGFLAG_DEMO: 'false', RINGFLAG_LOG_LEVEL: 'warn' })).toMatchObject({
      demo: false,
      logLevel: 'warn',
    });
    expect(() => loadConfig({ RINGFLAG_DEMO: 'yes' })).toThrow('RINGFLAG_DEMO must be true or false');
  });

  it('reads the RINGFLAG_ variables, treating empty ones as unset', () => {
    const config = loadConfig({
      RINGFLAG_PORT: '8080',
      RINGFLAG_HOST: '0.0.0.0',
      RINGFLAG_DB: '/tmp/x.db',
      RINGFLAG_SECRET: '',
      RINGFLAG_ADMIN_EMAIL: 'a@example.com',
      RINGFLAG_ADMIN_PASSWORD: 'long-enough',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      db: { dialect: 'sqlite', file: '/tmp/x.db' },
      secret: undefined,
    });
    expect(config.admin).toEqual({ email: 'a@example.com', password: 'long-enough' });
  });

  it('takes a PostgreSQL URL or a file path in RINGFLAG_DB, refuses any other URL, and never echoes it', () => {
    const url = 'postgres://ringflag:s3cret@db.internal:5432/flags?sslmode=require';
    expect(loadConfig({ RINGFLAG_DB: url, RINGFLAG_DB_POOL: '20' }).db).toEqual({
      dialect: 'postgres',
      url,
      poolSize: 20,
    });
    expect(loadConfig({ RINGFLAG_DB: 'PostgreSQL://db/flags' }).db).toMatchObject({
      dialect: 'postgres',
      poolSize: 10,
    });
    expect(() => loadConfig({ RINGFLAG_DB: 'mysql://root:s3cret@db/flags' })).toThrow(
      'Invalid configuration: RINGFLAG_DB looks like a URL (mysql://) but is neither a file path nor a PostgreSQL URL',
    );
    expect(() => loadConfig({ RINGFLAG_DB: 'postgres:///flags' })).toThrow(
      'Invalid configuration: RINGFLAG_DB is a PostgreSQL URL without a host',
    );
    expect(() => loadConfig({ RINGFLAG_DB: url, RINGFLAG_DB_POOL: '0' })).toThrow(
      'RINGFLAG_DB_POOL must be at least 1',
    );
    let message = '';
    try {
      loadConfig({ RINGFLAG_DB: 'mysql://root:s3cret@db/flags' });
    } catch (caught) {
      message = (caught as Error).message;
    }
    expect(message).not.toContain('s3cret');
    // Paths that merely contain a colon or a scheme-like segment are still paths.
    for (const path of ['C:\\data\\ringflag.db', './postgres:/x.db', '/srv/a://b.db', 'file.db']) {
      expect(loadConfig({ RINGFLAG_DB: path }).db).toEqual({ dialect: 'sqlite', file: path });
    }
  });

  it('names every bad variable in one message', () => {
    let error: unknown;
    try {
      loadConfig({ RINGFLAG_PORT: '99999', RINGFLAG_SECRET: 'short', RINGFLAG_ADMIN_EMAIL: 'a@example.com' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('RINGFLAG_PORT');
    expect(message).toContain('RINGFLAG_SECRET');
    expect(message).toContain('RINGFLAG_ADMIN_PASSWORD');
  });
  it('takes the public rate limits as whole requests per second', () => {
    const config = loadConfig({ RINGFLAG_RATE_LIMIT_PER_KEY: '5000', RINGFLAG_RATE_LIMIT_PER_ADDRESS: '50' });
    expect([config.rateLimitPerKey, config.rateLimitPerAddress]).toEqual([5000, 50]);
    expect(() => loadConfig({ RINGFLAG_RATE_LIMIT_PER_ADDRESS: '0' })).toThrow(
      'RINGFLAG_RATE_LIMIT_PER_ADDRESS must be at least 1',
    );
  });
});
