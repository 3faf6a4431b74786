import { isIP } from 'node:net';
import { z } from 'zod';
import { type DatabaseLocation, DatabaseLocationError, parseDatabaseLocation } from './db/location.js';
import { issuerProblem, type OidcSettings, redirectUrlProblem } from './features/sso/oidc-settings.js';
import { roleMappingSchema } from './features/sso/role-mapping.js';

export const portSchema = z.coerce
  .number({ message: 'must be a number' })
  .int('must be an integer')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

export const countSchema = z.coerce
  .number({ message: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be at least 1');

/** `off`, or a comma-separated list of proxy addresses and CIDRs (`10.0.0.0/8, ::1`). */
export const trustProxySchema = z
  .string()
  .transform((value) =>
    value.trim().toLowerCase() === 'off'
      ? []
      : value
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== ''),
  )
  .refine(
    (entries) =>
      entries.every((entry) => {
        const [address = '', bits] = entry.split('/');
        const family = isIP(address);
        if (family === 0) return false;
        if (bits === undefined) return true;
        const n = Number(bits);
        return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
      }),
    { message: 'must be off or a comma-separated list of IP addresses and CIDRs' },
  );

/**
 * A SQLite file path or a PostgreSQL URL (see {@link parseDatabaseLocation}). The message never
 * repeats the value: a database URL carries a password.
 */
const dbSchema = z.string().superRefine((value, ctx) => {
  try {
    parseDatabaseLocation(value);
  } catch (error) {
    if (!(error instanceof DatabaseLocationError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

export const logLevelSchema = z
  .enum(['silent', 'error', 'warn', 'info'], { message: 'must be silent, error, warn or info' })
  .default('info');

/** The settings of how a process serves HTTP, shared by the server and the relay. */
export const servingSettings = {
  RINGFLAG_HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  RINGFLAG_TRUST_PROXY: trustProxySchema.default([]),
  RINGFLAG_MAX_CONNECTIONS: countSchema.optional(),
  RINGFLAG_MAX_STREAMS_PER_KEY: countSchema.optional(),
  RINGFLAG_MAX_STREAMS_PER_ADDRESS: countSchema.optional(),
  RINGFLAG_RATE_LIMIT_PER_KEY: countSchema.optional(),
  RINGFLAG_RATE_LIMIT_PER_ADDRESS: countSchema.optional(),
  RINGFLAG_LOG_LEVEL: logLevelSchema,
};

/** Single sign-on (OpenID Connect): see docs/sso.md. The client secret is never repeated in a message. */
const oidcSettings = {
  RINGFLAG_OIDC_ISSUER: z
    .string()
    .superRefine((value, ctx) => {
      const problem = issuerProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  RINGFLAG_OIDC_CLIENT_ID: z.string().max(1000, 'must be at most 1000 characters').optional(),
  RINGFLAG_OIDC_CLIENT_SECRET: z.string().max(1000, 'must be at most 1000 characters').optional(),
  RINGFLAG_OIDC_REDIRECT_URL: z
    .string()
    .superRefine((value, ctx) => {
      const problem = redirectUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  RINGFLAG_OIDC_GROUPS_CLAIM: z.string().max(200, 'must be at most 200 characters').optional(),
  RINGFLAG_OIDC_ROLES: roleMappingSchema.optional(),
  RINGFLAG_OIDC_SCOPES: z
    .string()
    .transform((value) => [...new Set(value.split(/[\s,]+/).filter((scope) => scope !== ''))])
    .refine((scopes) => scopes.includes('openid'), { message: 'must include openid' })
    .optional(),
  RINGFLAG_OIDC_PASSWORD_LOGIN: z.enum(['on', 'off'], { message: 'must be on or off' }).optional(),
};

/** The four settings single sign-on needs; the others are refused without them. */
const OIDC_REQUIRED = [
  'RINGFLAG_OIDC_ISSUER',
  'RINGFLAG_OIDC_CLIENT_ID',
  'RINGFLAG_OIDC_CLIENT_SECRET',
  'RINGFLAG_OIDC_REDIRECT_URL',
] as const;
const OIDC_OPTIONAL = [
  'RINGFLAG_OIDC_GROUPS_CLAIM',
  'RINGFLAG_OIDC_ROLES',
  'RINGFLAG_OIDC_SCOPES',
  'RINGFLAG_OIDC_PASSWORD_LOGIN',
] as const;

/** Single sign-on needs all four of {@link OIDC_REQUIRED}, or none of them and none of the rest. */
function oidcTogether(env: Partial<Record<keyof typeof oidcSettings, unknown>>, ctx: z.RefinementCtx): void {
  const set = OIDC_REQUIRED.filter((name) => env[name] !== undefined);
  const missing = OIDC_REQUIRED.filter((name) => env[name] === undefined);
  if (set.length > 0 && missing.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: [missing[0]!],
      message: `is missing: single sign-on needs ${OIDC_REQUIRED.join(', ')} together (missing: ${missing.join(', ')})`,
    });
  }
  const stray = OIDC_OPTIONAL.filter((name) => env[name] !== undefined);
  if (set.length === 0 && stray.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: [stray[0]!],
      message: `needs single sign-on: set ${OIDC_REQUIRED.join(', ')} too, or unset ${stray.join(', ')}`,
    });
  }
}

const configSchema = z
  .object({
    ...servingSettings,
    RINGFLAG_PORT: portSchema.default(4280),
    RINGFLAG_DB: dbSchema.default('./data/ringflag.db'),
    RINGFLAG_DB_POOL: countSchema.optional(),
    RINGFLAG_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    RINGFLAG_AUDIT_KEY_FILE: z.string().min(1, 'must not be empty').optional(),
    RINGFLAG_ADMIN_EMAIL: z.email('must be an email address').optional(),
    RINGFLAG_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
    RINGFLAG_DEMO: z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
    RINGFLAG_RETENTION_DAYS: countSchema.optional(),
    ...oidcSettings,
  })
  .refine((env) => (env.RINGFLAG_ADMIN_EMAIL === undefined) === (env.RINGFLAG_ADMIN_PASSWORD === undefined), {
    message: 'RINGFLAG_ADMIN_EMAIL and RINGFLAG_ADMIN_PASSWORD go together: set both or neither',
    path: ['RINGFLAG_ADMIN_PASSWORD'],
  })
  .superRefine(oidcTogether);

/** The server's settings, read from the environment. */
export interface Config {
  port: number;
  host: string;
  /** A SQLite file (the default, ./data/ringflag.db) or a PostgreSQL database (RINGFLAG_DB, RINGFLAG_DB_POOL). */
  db: DatabaseLocation;
  /** The JWT signing secret; generated once and kept in the database when absent. */
  secret: string | undefined;
  /** The Ed25519 PEM key that signs audit checkpoints; default `audit-signing.pem` beside the database. */
  auditKeyFile: string | undefined;
  admin: { email: string; password: string } | undefined;
  /** Seed a few demo flags and a segment when the database is new. */
  demo: boolean;
  logLevel: 'silent' | 'error' | 'warn' | 'info';
  /** Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed; none by default. */
  trustProxy: string[];
  /** Open connections at most; by default a little below the process's open-file limit. */
  maxConnections: number | undefined;
  maxStreamsPerKey: number | undefined;
  maxStreamsPerAddress: number | undefined;
  /** Requests per second per public SDK key on /client/v1 and /ofrep/v1 (bursts of twice as many). */
  rateLimitPerKey: number | undefined;
  /** Requests per second per SDK key and client address there (bursts of five times as many). */
  rateLimitPerAddress: number | undefined;
  /** Days per-minute counts (insights chart, guards) are kept. */
  retentionDays: number | undefined;
  /** Single sign-on through an OpenID Connect provider; undefined when off. */
  oidc: OidcSettings | undefined;
}

/** Bad configuration: `message` is one clear sentence naming every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and checks the configuration; throws a {@link ConfigError} that says what is wrong.
 * Empty variables count as unset.
 *
 * @example
 * const config = loadConfig(process.env); // { port: 4280, host: '127.0.0.1', … }
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => name.startsWith('RINGFLAG_') && value !== ''),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const value = parsed.data;
  return {
    port: value.RINGFLAG_PORT,
    host: value.RINGFLAG_HOST,
    db: parseDatabaseLocation(value.RINGFLAG_DB, value.RINGFLAG_DB_POOL),
    secret: value.RINGFLAG_SECRET,
    auditKeyFile: value.RINGFLAG_AUDIT_KEY_FILE,
    admin:
      value.RINGFLAG_ADMIN_EMAIL && value.RINGFLAG_ADMIN_PASSWORD
        ? { email: value.RINGFLAG_ADMIN_EMAIL, password: value.RINGFLAG_ADMIN_PASSWORD }
        : undefined,
    demo: value.RINGFLAG_DEMO === 'true',
    logLevel: value.RINGFLAG_LOG_LEVEL,
    trustProxy: value.RINGFLAG_TRUST_PROXY,
    maxConnections: value.RINGFLAG_MAX_CONNECTIONS,
    maxStreamsPerKey: value.RINGFLAG_MAX_STREAMS_PER_KEY,
    maxStreamsPerAddress: value.RINGFLAG_MAX_STREAMS_PER_ADDRESS,
    rateLimitPerKey: value.RINGFLAG_RATE_LIMIT_PER_KEY,
    rateLimitPerAddress: value.RINGFLAG_RATE_LIMIT_PER_ADDRESS,
    retentionDays: value.RINGFLAG_RETENTION_DAYS,
    oidc:
      value.RINGFLAG_OIDC_ISSUER !== undefined &&
      value.RINGFLAG_OIDC_CLIENT_ID !== undefined &&
      value.RINGFLAG_OIDC_CLIENT_SECRET !== undefined &&
      value.RINGFLAG_OIDC_REDIRECT_URL !== undefined
        ? {
            issuer: value.RINGFLAG_OIDC_ISSUER,
            clientId: value.RINGFLAG_OIDC_CLIENT_ID,
            clientSecret: value.RINGFLAG_OIDC_CLIENT_SECRET,
            redirectUrl: value.RINGFLAG_OIDC_REDIRECT_URL,
            groupsClaim: value.RINGFLAG_OIDC_GROUPS_CLAIM ?? 'groups',
            roles: value.RINGFLAG_OIDC_ROLES ?? {},
            scopes: value.RINGFLAG_OIDC_SCOPES ?? ['openid', 'email', 'profile'],
            passwordLogin: value.RINGFLAG_OIDC_PASSWORD_LOGIN !== 'off',
          }
        : undefined,
  };
}
