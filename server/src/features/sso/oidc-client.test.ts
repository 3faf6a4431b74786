import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../../../../test/support/oidc-provider.js';
import { createLogger } from '../../logger.js';
import { createOidcClient, OidcRejection, OidcUnavailable } from './oidc-client.js';
import type { OidcSettings } from './oidc-settings.js';

const REDIRECT = 'http://127.0.0.1:1/api/v1/auth/oidc/callback';

describe('the OpenID Connect relying party, against a real provider', () => {
  let op: TestOidcProvider;
  let settings: OidcSettings;
  beforeAll(async () => {
    op = await startOidcProvider({
      clients: [{ clientId: 'ringflag', clientSecret: 'client-secret-1', redirectUris: [REDIRECT] }],
      accounts: [
        {
          sub: 'ann',
          password: 'pw-ann',
          email: 'Ann@Example.com',
          emailVerified: true,
          name: 'Ann',
          groups: ['devs'],
        },
      ],
      claimsInIdToken: false,
    });
    settings = {
      issuer: op.issuer,
      clientId: 'ringflag',
      clientSecret: 'client-secret-1',
      redirectUrl: REDIRECT,
      groupsClaim: 'groups',
      roles: {},
      scopes: ['openid', 'email', 'profile', 'groups'],
      passwordLogin: true,
    };
  });
  afterAll(async () => op?.close());

  const state = () => ({
    state: `state-${Math.random()}`,
    nonce: `nonce-${Math.random()}`,
    verifier: 'v'.repeat(43) + Math.random().toString(36).slice(2),
    next: '/',
  });

  it('sends code + PKCE S256 + state + nonce, and reads the verified identity (userinfo fills in claims)', async () => {
    const rp = createOidcClient(settings, createLogger('silent'));
    const s = state();
    const url = await rp.authorizationUrl(s);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      code_challenge_method: 'S256',
      state: s.state,
      nonce: s.nonce,
      client_id: 'ringflag',
      redirect_uri: REDIRECT,
    });
    const callback = await op.signIn(url.href, 'ann', 'pw-ann');
    expect(await rp.redeem(callback.searchParams, s)).toEqual({
      issuer: op.issuer,
      subject: 'ann',
      email: 'ann@example.com',
      emailVerified: true,
      name: 'Ann',
      groups: ['devs'],
    });
  });

  it('refuses a callback whose state is not the one it sent, and a code used with another verifier', async () => {
    const rp = createOidcClient(settings, createLogger('silent'));
    const s = state();
    const callback = await op.signIn((await rp.authorizationUrl(s)).href, 'ann', 'pw-ann');
    await expect(rp.redeem(callback.searchParams, { ...s, state: 'another' })).rejects.toBeInstanceOf(
      OidcRejection,
    );
    await expect(rp.redeem(callback.searchParams, { ...s, verifier: 'w'.repeat(50) })).rejects.toThrow(
      /invalid_grant/,
    );
  });

  it('is unavailable, not failing, while the provider cannot be reached; and tries again later', async () => {
    const rp = createOidcClient({ ...settings, issuer: 'http://127.0.0.1:9' }, createLogger('silent'));
    await expect(rp.authorizationUrl(state())).rejects.toBeInstanceOf(OidcUnavailable);
    await expect(rp.authorizationUrl(state())).rejects.toBeInstanceOf(OidcUnavailable);
  });
});
