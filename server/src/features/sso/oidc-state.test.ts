import { describe, expect, it } from 'vitest';
import { OIDC_STATE_TTL_SECONDS, openOidcState, safeNextPath, sealOidcState } from './oidc-state.js';

const secret = new TextEncoder().encode('a server secret of at least thirty-two characters');
const state = { state: 'state-1', nonce: 'nonce-1', verifier: 'verifier-1', next: '/flags' };

describe('the sign-in state cookie', () => {
  it('opens with the same secret within 10 minutes, and with no other secret or after', async () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const sealed = await sealOidcState(secret, state, at);
    expect(sealed).not.toContain('state-1');
    expect(await openOidcState(secret, sealed, new Date(at.getTime() + 60_000))).toEqual(state);
    const late = new Date(at.getTime() + (OIDC_STATE_TTL_SECONDS + 1) * 1000);
    expect(await openOidcState(secret, sealed, late)).toBeNull();
    expect(await openOidcState(new TextEncoder().encode('x'.repeat(40)), sealed, at)).toBeNull();
  });

  it('does not open once changed, or when it is not one at all', async () => {
    const at = new Date();
    const sealed = await sealOidcState(secret, state, at);
    const parts = sealed.split('.');
    const body = parts[3]!;
    parts[3] = `${body.slice(0, -2)}${body.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await openOidcState(secret, parts.join('.'), at)).toBeNull();
    for (const junk of ['', 'x', 'a.b.c.d.e', '....', sealed.replace(/\./g, '')]) {
      expect(await openOidcState(secret, junk, at)).toBeNull();
    }
  });
});

describe('where a sign-in may go afterwards', () => {
  it('is a path on this server, else /', () => {
    expect(safeNextPath('/flags?tab=1#x')).toBe('/flags?tab=1#x');
    for (const next of [
      undefined,
      '',
      'flags',
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      '/\t/evil.example',
      '/a\\b',
      `/${'a'.repeat(2001)}`,
    ]) {
      expect(safeNextPath(next), String(next)).toBe('/');
    }
  });
});
