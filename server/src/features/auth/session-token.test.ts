import { describe, expect, it } from 'vitest';
import { signSessionToken, verifySessionToken } from './session-token.js';

const secret = new TextEncoder().encode('a-test-secret-that-is-long-enough-for-hs256');
const claims = { sub: '7', sid: 'session-1', csrf: 'csrf-1' };

describe('session tokens', () => {
  it('verifies, and keeps honouring expiry once a token is remembered as verified', async () => {
    const issued = new Date('2026-01-01T00:00:00Z');
    const token = await signSessionToken(secret, claims, issued, 60);
    expect(await verifySessionToken(secret, token, issued)).toEqual(claims);
    expect(await verifySessionToken(secret, token, new Date(issued.getTime() + 59_000))).toEqual(claims);
    expect(await verifySessionToken(secret, token, new Date(issued.getTime() + 60_000))).toBeNull();
  });

  it('never accepts a token verified under another secret, or an altered one', async () => {
    const now = new Date();
    const token = await signSessionToken(secret, claims, now, 60);
    expect(await verifySessionToken(secret, token, now)).toEqual(claims);
    const other = new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256');
    expect(await verifySessionToken(other, token, now)).toBeNull();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(await verifySessionToken(secret, `${header}.${payload}.${flipped}`, now)).toBeNull();
  });
});
