/**
 * Which addresses web_fetch may connect to: public unicast only, unless the user allows a host,
 * an address or a CIDR in `tools.web.private_host_whitelist` (PicoClaw's one escape hatch).
 *
 * The rules live in a `net.BlockList`, which also matches every IPv4-mapped IPv6 spelling
 * (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `0:0:0:0:0:ffff:127.0.0.1`) against the IPv4 rules.
 * IPv6 is blocked outside global unicast (2000::/3) altogether, and inside it where a prefix
 * embeds or tunnels to an IPv4 address (6to4, Teredo, NAT64) or is not routed (documentation,
 * benchmarking), so no IPv6 spelling of an internal IPv4 address gets through.
 */
import { BlockList, isIP } from 'node:net';

/** [network, prefix length, why]; `why` is for the reader, not the message. */
const BLOCKED_V4: [string, number, string][] = [
  ['0.0.0.0', 8, '"this network"; 0.0.0.0 reaches the local host on Linux'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT (Tailscale, Alibaba metadata 100.100.100.200)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local, cloud metadata 169.254.169.254'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments (Oracle metadata 192.0.0.192)'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved, broadcast'],
  ['168.63.129.16', 32, 'Azure platform endpoint (wire server)'],
];

const BLOCKED_V6: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated; embeds an IPv4 address)'],
  ['::ffff:0:0:0', 96, 'IPv4-translated'],
  ['64:ff9b::', 96, 'NAT64 (embeds an IPv4 address)'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard'],
  ['2001::', 23, 'IETF protocol assignments, Teredo 2001::/32 included'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4 (embeds an IPv4 address)'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique local (AWS metadata fd00:ec2::254)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

/**
 * Everything outside global unicast 2000::/3, except ::ffff:0:0/96 (IPv4-mapped, judged by the
 * IPv4 rules: a rule covering it would block every IPv4 address too).
 */
const OUTSIDE_GLOBAL_V6: [string, string][] = [
  ['::', '::fffe:ffff:ffff'],
  ['::1:0:0:0', '1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['4000::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
];

let blocked: BlockList | undefined;
function blockList(): BlockList {
  if (blocked) return blocked;
  blocked = new BlockList();
  for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6');
  for (const [from, to] of OUTSIDE_GLOBAL_V6) blocked.addRange(from, to, 'ipv6');
  return blocked;
}

const familyOf = (ip: string) => (isIP(ip) === 4 ? 'ipv4' : 'ipv6');
/** `fe80::1%eth0` → `fe80::1`; `[::1]` → `::1`. */
const bare = (ip: string) => ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');

/** True when `ip` is not a public unicast address (anything that is not an IP counts as blocked). */
export function isBlockedAddress(ip: string): boolean {
  const address = bare(ip);
  if (!isIP(address)) return true;
  try {
    return blockList().check(address, familyOf(address));
  } catch {
    return true;
  }
}

export interface AddressGuard {
  /** The host is allowed by name in the whitelist: any address it resolves to is accepted. */
  hostAllowed(host: string): boolean;
  /** An address may be connected to: public, or allowed as an address or CIDR. */
  addressAllowed(ip: string): boolean;
}

/**
 * The whitelist's entries: an IP or a CIDR allows those addresses (also in their IPv4-mapped
 * spelling); anything else is a host name, compared case-insensitively with the URL's host.
 */
export function createAddressGuard(whitelist: readonly string[]): AddressGuard {
  const hosts = new Set<string>();
  const allowed = new BlockList();
  let anyAllowed = false;
  for (const raw of whitelist) {
    const entry = raw.trim().toLowerCase();
    const [net = '', bits, extra] = entry.split('/');
    const ip = bare(net);
    const prefix = Number(bits);
    if (isIP(ip) && bits === undefined) {
      allowed.addAddress(ip, familyOf(ip));
      anyAllowed = true;
    } else if (isIP(ip) && extra === undefined && /^\d+$/.test(bits ?? '') && prefix <= (isIP(ip) === 4 ? 32 : 128)) {
      allowed.addSubnet(ip, prefix, familyOf(ip));
      anyAllowed = true;
    } else if (entry) hosts.add(entry.replace(/\.$/, ''));
  }
  return {
    hostAllowed: (host) => hosts.has(bare(host).toLowerCase().replace(/\.$/, '')),
    addressAllowed(ip) {
      if (!isBlockedAddress(ip)) return true;
      const address = bare(ip);
      if (!anyAllowed || !isIP(address)) return false;
      try {
        return allowed.check(address, familyOf(address));
      } catch {
        return false;
      }
    },
  };
}
