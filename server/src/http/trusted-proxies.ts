import { BlockList, isIP } from 'node:net';

/**
 * The proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (`RINGFLAG_TRUST_PROXY`):
 * addresses or CIDRs. With none, forwarded headers are ignored and the socket's peer is the client.
 *
 * @example
 * const proxies = new TrustedProxies(['10.0.0.0/8', '127.0.0.1']);
 * proxies.trusts('10.1.2.3'); // true
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, bits] = entry.split('/') as [string, string | undefined];
      const family = isIP(address);
      if (family === 0) throw new Error(`not an IP address or CIDR: ${entry}`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, type);
      else this.list.addSubnet(address, Number(bits), type);
    }
    this.size = entries.length;
  }

  /** Whether `address` (as a socket reports it, IPv4-mapped IPv6 included) is a trusted proxy. */
  trusts(address: string | undefined): boolean {
    if (this.size === 0 || address === undefined) return false;
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The client behind a chain of proxies: the peer, unless it is trusted, in which case the nearest
   * `X-Forwarded-For` entry that is not itself a trusted proxy (walking from the right, since only the
   * entries our proxies appended can be believed).
   */
  clientOf(peer: string | undefined, forwardedFor: string | undefined): string | undefined {
    if (!this.trusts(peer) || !forwardedFor) return peer;
    const hops = forwardedFor.split(',').map((hop) => hop.trim());
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (isIP(hop) === 0) return peer;
      if (!this.trusts(hop)) return hop;
    }
    return hops[0] ?? peer;
  }
}
