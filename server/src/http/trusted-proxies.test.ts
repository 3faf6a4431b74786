import { describe, expect, it } from 'vitest';
import { TrustedProxies } from './trusted-proxies.js';

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '::1', '192.168.1.7']);

  it('trusts listed addresses and subnets, IPv4-mapped ones included', () => {
    expect(proxies.trusts('10.1.2.3')).toBe(true);
    expect(proxies.trusts('::ffff:10.1.2.3')).toBe(true);
    expect(proxies.trusts('::1')).toBe(true);
    expect(proxies.trusts('192.168.1.8')).toBe(false);
    expect(new TrustedProxies([]).trusts('10.1.2.3')).toBe(false);
  });

  it('takes the client from X-Forwarded-For only through trusted proxies, from the right', () => {
    expect(proxies.clientOf('10.0.0.5', '203.0.113.9')).toBe('203.0.113.9');
    // A client cannot choose its address by sending its own X-Forwarded-For ahead of ours.
    expect(proxies.clientOf('10.0.0.5', '1.1.1.1, 203.0.113.9, 10.0.0.6')).toBe('203.0.113.9');
    expect(proxies.clientOf('198.51.100.4', '203.0.113.9')).toBe('198.51.100.4');
    expect(proxies.clientOf('10.0.0.5', 'not-an-address')).toBe('10.0.0.5');
    expect(proxies.clientOf('10.0.0.5', undefined)).toBe('10.0.0.5');
  });

  it('refuses entries that are not addresses', () => {
    expect(() => new TrustedProxies(['example.com'])).toThrow(/not an IP address/);
  });
});
