import { describe, expect, it } from 'vitest';
import { createClientResolver, forwardedIp, normaliseIp } from './client-address.js';

const req = (peer: string | undefined, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;

describe('client address', () => {
  it('normalises peers and forwarded entries, refusing anything that is not an IP', () => {
    expect(normaliseIp('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normaliseIp('FE80::1%eth0')).toBe('fe80::1');
    expect(normaliseIp('evil')).toBeUndefined();
    expect(forwardedIp(' "198.51.100.7:4711" ')).toBe('198.51.100.7');
    expect(forwardedIp('[2001:db8::1]:443')).toBe('2001:db8::1');
    for (const bad of ['unknown', '198.51.100.7 FORGED', '1.2.3.4\u202e', '<script>', '[1.2.3.4]', '']) expect(forwardedIp(bad), bad).toBeUndefined();
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy (none by default)', () => {
    const none = createClientResolver([]);
    expect(none.resolve(req('127.0.0.1', '203.0.113.5'))).toMatchObject({ ip: '127.0.0.1', key: 'loopback' });
    expect(none.resolve(req('::ffff:192.0.2.9', '203.0.113.5'))).toMatchObject({ ip: '192.0.2.9', key: '192.0.2.9', label: '192.0.2.9' });
    expect(none.isTrusted('127.0.0.1')).toBe(false);
    const lan = createClientResolver(['192.168.1.2']);
    expect(lan.resolve(req('192.168.1.3', '203.0.113.5')).ip).toBe('192.168.1.3');
  });

  it('walks X-Forwarded-For right to left from a trusted proxy: the first untrusted hop wins, all trusted → leftmost', () => {
    const r = createClientResolver(['127.0.0.1', '10.0.0.0/8']);
    expect(r.resolve(req('127.0.0.1', '203.0.113.5')).ip).toBe('203.0.113.5');
    // A client-supplied entry on the left cannot pose as the client: the proxy appended the real one.
    expect(r.resolve(req('127.0.0.1', '127.0.0.1, 198.51.100.1, 10.1.2.3')).ip).toBe('198.51.100.1');
    expect(r.resolve(req('127.0.0.1', '10.0.0.1, 10.1.2.3')).ip).toBe('10.0.0.1');
    expect(r.resolve(req('::ffff:127.0.0.1', '2001:db8::1')).ip).toBe('2001:db8::1');
    expect(r.resolve(req('127.0.0.1')).ip).toBe('127.0.0.1');
    expect(r.isTrusted('::ffff:10.9.9.9')).toBe(true);
  });

  it('never lets forged text through: an invalid hop names the proxy instead', () => {
    const r = createClientResolver(['127.0.0.1']);
    const forged = r.resolve(req('127.0.0.1', 'FORGED\u202e text'));
    expect(forged).toMatchObject({ ip: '127.0.0.1', key: 'loopback', label: 'an invalid forwarded address (via 127.0.0.1)' });
    // Garbage left of a valid untrusted hop is never looked at.
    expect(r.resolve(req('127.0.0.1', 'garbage, 198.51.100.1')).ip).toBe('198.51.100.1');
  });

  it('counts all of loopback as one client and IPv6 per /64', () => {
    const r = createClientResolver([]);
    expect(r.resolve(req('127.0.0.2')).key).toBe('loopback');
    expect(r.resolve(req('::1')).key).toBe('loopback');
    expect(r.resolve(req('2001:db8:1:2:aaaa::1')).key).toBe('2001:db8:1:2::/64');
    expect(r.resolve(req('2001:db8:1:2:bbbb:cccc:dddd:eeee')).key).toBe('2001:db8:1:2::/64');
    expect(r.resolve(req('2001:db8::1')).key).toBe('2001:db8:0:0::/64');
    expect(r.resolve(req('fe80::1:2.3.4.5')).key).toBe('fe80:0:0:0::/64');
    expect(r.resolve(req(undefined))).toMatchObject({ ip: undefined, key: 'unknown' });
  });
});
