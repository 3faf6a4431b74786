import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';
import { accessFor, groupsOf } from './role-mapping.js';

const SSO = {
  RINGFLAG_OIDC_ISSUER: 'https://login.example.com/realms/acme',
  RINGFLAG_OIDC_CLIENT_ID: 'ringflag',
  RINGFLAG_OIDC_CLIENT_SECRET: 'very-secret-value-1234',
  RINGFLAG_OIDC_REDIRECT_URL: 'https://flags.example.com/api/v1/auth/oidc/callback',
};

/** The message of the ConfigError `env` gives. */
function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('the single sign-on settings', () => {
  it('are off by default, and read with their defaults when the four main ones are set', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    expect(loadConfig(SSO).oidc).toEqual({
      issuer: SSO.RINGFLAG_OIDC_ISSUER,
      clientId: 'ringflag',
      clientSecret: SSO.RINGFLAG_OIDC_CLIENT_SECRET,
      redirectUrl: SSO.RINGFLAG_OIDC_REDIRECT_URL,
      groupsClaim: 'groups',
      roles: {},
      scopes: ['openid', 'email', 'profile'],
      passwordLogin: true,
    });
  });

  it('read the mapping, the groups claim, the scopes and password login', () => {
    const oidc = loadConfig({
      ...SSO,
      RINGFLAG_OIDC_GROUPS_CLAIM: 'roles',
      RINGFLAG_OIDC_SCOPES: 'openid email profile groups',
      RINGFLAG_OIDC_PASSWORD_LOGIN: 'off',
      RINGFLAG_OIDC_ROLES: JSON.stringify({
        'team-a-devs': { 'team-a': 'editor' },
        'team-b-leads': { 'team-b': 'approver', default: 'viewer' },
        'ringflag-admins': 'org-admin',
      }),
    }).oidc;
    expect(oidc).toMatchObject({
      groupsClaim: 'roles',
      scopes: ['openid', 'email', 'profile', 'groups'],
      passwordLogin: false,
      roles: { 'ringflag-admins': 'org-admin', 'team-b-leads': { 'team-b': 'approver', default: 'viewer' } },
    });
  });

  it('go together: a missing main setting is named, and the secret is never repeated', () => {
    const { RINGFLAG_OIDC_REDIRECT_URL: _, RINGFLAG_OIDC_CLIENT_ID: __, ...partial } = SSO;
    const message = problem(partial);
    expect(message).toContain('missing: RINGFLAG_OIDC_CLIENT_ID, RINGFLAG_OIDC_REDIRECT_URL');
    expect(message).not.toContain(SSO.RINGFLAG_OIDC_CLIENT_SECRET);
    expect(problem({ RINGFLAG_OIDC_ROLES: '{}' })).toContain('RINGFLAG_OIDC_ROLES needs single sign-on');
    expect(problem({ RINGFLAG_OIDC_PASSWORD_LOGIN: 'off' })).toContain('RINGFLAG_OIDC_PASSWORD_LOGIN');
  });

  it('refuse a bad issuer, redirect URL, mapping or scope list, saying what is wrong', () => {
    expect(problem({ ...SSO, RINGFLAG_OIDC_ISSUER: 'http://login.example.com' })).toContain(
      'RINGFLAG_OIDC_ISSUER must be an https:// URL',
    );
    expect(loadConfig({ ...SSO, RINGFLAG_OIDC_ISSUER: 'http://127.0.0.1:9000' }).oidc?.issuer).toBe(
      'http://127.0.0.1:9000',
    );
    expect(problem({ ...SSO, RINGFLAG_OIDC_REDIRECT_URL: 'https://flags.example.com/callback' })).toContain(
      'RINGFLAG_OIDC_REDIRECT_URL must end at /api/v1/auth/oidc/callback',
    );
    expect(problem({ ...SSO, RINGFLAG_OIDC_ROLES: '{"devs": ' })).toContain(
      'RINGFLAG_OIDC_ROLES must be JSON',
    );
    expect(problem({ ...SSO, RINGFLAG_OIDC_ROLES: '{"devs": {"web": "owner"}}' })).toContain(
      'RINGFLAG_OIDC_ROLES.devs',
    );
    expect(problem({ ...SSO, RINGFLAG_OIDC_ROLES: '{"devs": "admin"}' })).toContain('org-admin');
    expect(problem({ ...SSO, RINGFLAG_OIDC_ROLES: '["devs"]' })).toContain('RINGFLAG_OIDC_ROLES');
    expect(problem({ ...SSO, RINGFLAG_OIDC_SCOPES: 'email profile' })).toContain('must include openid');
    expect(problem({ ...SSO, RINGFLAG_OIDC_PASSWORD_LOGIN: 'no' })).toContain('must be on or off');
  });
});

describe('the group mapping', () => {
  const mapping = {
    'team-a-devs': { 'team-a': 'editor' },
    'team-a-leads': { 'team-a': 'approver', default: 'viewer' },
    'team-b-devs': { 'team-b': 'editor', default: 'admin' },
    'ringflag-admins': 'org-admin',
  } as const;

  it('gives the highest role per project over all groups, and org admin from any group', () => {
    const access = accessFor(mapping, ['team-a-devs', 'team-a-leads', 'team-b-devs', 'unmapped']);
    expect(access?.orgAdmin).toBe(false);
    expect(Object.fromEntries(access?.projects ?? [])).toEqual({
      'team-a': 'approver',
      'team-b': 'editor',
      default: 'admin',
    });
    expect(accessFor(mapping, ['ringflag-admins'])).toEqual({ orgAdmin: true, projects: new Map() });
  });

  it('gives nothing (null) without a mapped group, and is not fooled by inherited names', () => {
    expect(accessFor(mapping, [])).toBeNull();
    expect(accessFor(mapping, ['somebody-else', 'constructor', '__proto__', 'toString'])).toBeNull();
  });

  it('reads a groups claim that is a list or one string, and ignores anything else', () => {
    expect(groupsOf(['a', 'b', 3, null])).toEqual(['a', 'b']);
    expect(groupsOf('a')).toEqual(['a']);
    expect(groupsOf({ a: true })).toEqual([]);
    expect(groupsOf(undefined)).toEqual([]);
  });
});
