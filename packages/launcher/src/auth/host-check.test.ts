import { describe, expect, it } from 'vitest';
import { createHostGuard, hostAllowed, hostOfHeader, machineNames, printableHost, type HostPolicy } from './host-check.js';

const policy = (allowed: string[] = []): HostPolicy => ({ allowed, machine: machineNames('Homelab') });
const allowed = (host: string | undefined, p = policy(), version = '1.1') => hostAllowed(host, version, p);

describe('host check', () => {
  it('parses Host headers: port ignored, IPv6 brackets removed, final dot dropped, garbage refused', () => {
    expect(hostOfHeader('LocalHost:18800')).toBe('localhost');
    expect(hostOfHeader('[::1]:18800')).toBe('::1');
    expect(hostOfHeader('[FE80::1]')).toBe('fe80::1');
    expect(hostOfHeader('homelab.lan.')).toBe('homelab.lan');
    for (const bad of ['::1', '[::1', '[1.2.3.4]', 'a b', 'user@host', 'host:port', 'host:123456', '.lan', 'a..b', '', 'évil.example', 'x\r\ny']) expect(hostOfHeader(bad), bad).toBeUndefined();
  });

  it('serves localhost names, IP literals and this machine’s names', () => {
    for (const host of ['localhost', 'localhost:18800', 'app.localhost:18800', '127.0.0.1:18800', '127.8.9.10', '[::1]:18800', '192.168.1.20:18800', '[fd00::5]', '10.0.0.7', 'homelab:18800', 'HOMELAB.local', 'homelab.local.']) {
      expect(allowed(host), host).toBe(true);
    }
  });

  it('refuses rebinding names and anything else not listed', () => {
    for (const host of ['evil.example:18800', 'evil.example', 'localhost.evil.example', '127.0.0.1.nip.io', 'homelab.evil.example', 'homelab.lan', '127.1', '0x7f.0.0.1', 'evil.example:18800:1', '']) {
      expect(allowed(host), host).toBe(false);
    }
  });

  it('serves the names the user lists; a leading dot allows subdomains; * turns the check off', () => {
    const p = policy(['homelab.lan', '.proxy.example']);
    for (const host of ['homelab.lan', 'HomeLab.Lan:443', 'proxy.example', 'a.proxy.example', 'a.b.proxy.example:8443']) expect(allowed(host, p), host).toBe(true);
    for (const host of ['x.homelab.lan', 'evilproxy.example', 'proxy.example.evil', 'evil.example']) expect(allowed(host, p), host).toBe(false);
    expect(allowed('evil.example', policy(['*']))).toBe(true);
    expect(allowed(undefined, policy(['*']))).toBe(true);
  });

  it('refuses a missing Host on HTTP/1.1 but not on HTTP/1.0', () => {
    expect(allowed(undefined)).toBe(false);
    expect(allowed('  ')).toBe(false);
    expect(allowed(undefined, policy(), '1.0')).toBe(true);
    expect(allowed('evil.example', policy(), '1.0')).toBe(false);
  });

  it('knows the machine by its short and .local names', () => {
    expect(machineNames('Pi.fritz.box')).toEqual(['pi.fritz.box', 'pi.fritz.box.local', 'pi', 'pi.local']);
    expect(machineNames('')).toEqual([]);
  });

  it('never echoes raw text: the refusal names the settings, the log line is written once per name', () => {
    expect(printableHost('evil.example:1')).toBe('"evil.example:1"');
    expect(printableHost('a\u202eb')).toBe('(not printable)');
    expect(printableHost(undefined)).toBe('(none)');
    const lines: string[] = [];
    const guard = createHostGuard({ allowed: [], hostname: 'homelab', log: (m) => lines.push(m) });
    expect(guard({ headers: { host: 'localhost:1' }, httpVersion: '1.1' })).toBeUndefined();
    const refusal = guard({ headers: { host: 'evil.example' }, httpVersion: '1.1' });
    expect(refusal).toMatch(/allowed_hosts in launcher-config\.json or to PICOCLAW_LAUNCHER_ALLOWED_HOSTS/);
    guard({ headers: { host: 'evil.example' }, httpVersion: '1.1' });
    guard({ headers: { host: 'x\u202e' }, httpVersion: '1.1' });
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('\u202e');
    for (let i = 0; i < 100; i++) guard({ headers: { host: `n${i}.example` }, httpVersion: '1.1' });
    expect(lines.length).toBeLessThanOrEqual(20);
  });
});
