/**
 * Who is asking, for the rate limiter and the log: the TCP peer, or, when the peer is one of the
 * configured trusted proxies (`trusted_proxy_cidrs`, PICOCLAW_LAUNCHER_TRUSTED_PROXIES; none by
 * default), the address it forwarded. X-Forwarded-For is walked right to left: each trusted hop
 * passes on to the entry before it, the first untrusted address is the client, and when every
 * hop is trusted the leftmost one is. Anyone else's X-Forwarded-For is ignored (a local process
 * could otherwise rotate it to escape the limiter). Only validated IP addresses come out, so a
 * forged header never reaches the log or picks the limiter's key.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { parseCidr } from '@picoclaw/core';

export interface ClientAddress {
  /** A validated IP address (IPv4-mapped IPv6 shown as IPv4); undefined when the socket is gone. */
  ip: string | undefined;
  /** The rate limiter's key: the address, except that all of loopback is one client and IPv6 counts per /64. */
  key: string;
  /** Safe for a log line. */
  label: string;
}

/** A socket or forwarded address as a plain IP (no zone, IPv4-mapped as IPv4), or undefined. */
export function normaliseIp(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const plain = address.trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain)?.[1];
  const ip = mapped ?? plain;
  return isIP(ip) ? ip : undefined;
}

/** One X-Forwarded-For entry (maybe quoted, maybe with a port) as an IP, or undefined. */
export function forwardedIp(entry: string): string | undefined {
  const unquoted = entry.trim().replace(/^"(.*)"$/, '$1');
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(unquoted)?.[1];
  if (bracketed) return isIP(bracketed) === 6 ? normaliseIp(bracketed) : undefined;
  const v4port = /^(\d+\.\d+\.\d+\.\d+):\d{1,5}$/.exec(unquoted)?.[1];
  return normaliseIp(v4port ?? unquoted);
}

/** The first 64 bits of an IPv6 address: one LAN device gets a whole /64 to pick addresses from. */
function ipv6Prefix64(ip: string): string {
  const [head = '', tail] = ip.split('::');
  const count = (part: string) => (part ? part.split(':').reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0) : 0);
  const groups = tail === undefined ? head.split(':') : [...(head ? head.split(':') : []), ...Array<string>(Math.max(0, 8 - count(head) - count(tail))).fill('0'), ...(tail ? tail.split(':') : [])];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

export function clientOfIp(ip: string, label = ip): ClientAddress {
  const loopback = ip === '::1' || (isIP(ip) === 4 && ip.startsWith('127.'));
  return { ip, key: loopback ? 'loopback' : isIP(ip) === 6 ? ipv6Prefix64(ip) : ip, label };
}

export interface ClientResolver {
  /** Whether a peer is a trusted proxy (also used for X-Forwarded-Proto, through express's `trust proxy`). */
  isTrusted(address: string | undefined): boolean;
  resolve(req: Pick<IncomingMessage, 'headers' | 'socket'>): ClientAddress;
}

export function createClientResolver(trustedProxies: readonly string[]): ClientResolver {
  const list = new BlockList();
  for (const entry of trustedProxies) {
    const cidr = parseCidr(entry);
    // The settings were validated at load; an entry that still does not parse trusts nothing.
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family === 4 ? 'ipv4' : 'ipv6');
  }
  const trusted = (ip: string) => trustedProxies.length > 0 && list.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
  return {
    isTrusted(address) {
      const ip = normaliseIp(address);
      return ip !== undefined && trusted(ip);
    },
    resolve(req) {
      const peer = normaliseIp(req.socket.remoteAddress);
      if (!peer) return { ip: undefined, key: 'unknown', label: 'an unknown address' };
      if (!trusted(peer)) return clientOfIp(peer);
      const header = req.headers['x-forwarded-for'];
      const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
      let current = peer;
      for (let i = hops.length - 1; i >= 0; i--) {
        if (!hops[i]!.trim()) continue;
        const ip = forwardedIp(hops[i]!);
        // Garbage from (or through) a trusted proxy: the proxy itself is the client we can name.
        if (!ip) return clientOfIp(current, `an invalid forwarded address (via ${current})`);
        current = ip;
        if (!trusted(ip)) break;
      }
      return clientOfIp(current);
    },
  };
}
