import { describe, expect, it } from 'vitest';
import { newSetupCode, reachableHost, setupCodeMatches } from './setup-code.js';

describe('setup code', () => {
  it('is 12 base32 characters in groups of four, different each time', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newSetupCode()));
    expect(codes.size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
    expect(newSetupCode(() => new Uint8Array(12).fill(0))).toBe('AAAA-AAAA-AAAA');
  });

  it('matches what the user types regardless of case, spaces and dashes, and nothing else', () => {
    expect(setupCodeMatches('k7qd 2xma pw4r', 'K7QD-2XMA-PW4R')).toBe(true);
    expect(setupCodeMatches('K7QD-2XMA-PW4R', 'K7QD-2XMA-PW4R')).toBe(true);
    for (const wrong of ['K7QD-2XMA-PW4', 'K7QD-2XMA-PW4RX', '', '----', undefined, 42, 'x'.repeat(1000)]) expect(setupCodeMatches(wrong, 'K7QD-2XMA-PW4R'), String(wrong)).toBe(false);
  });

  it('names a host another machine can open', () => {
    const interfaces = () => ({ lo: [{ family: 'IPv4', address: '127.0.0.1', internal: true }], eth0: [{ family: 'IPv6', address: 'fd00::2', internal: false }, { family: 'IPv4', address: '192.168.1.20', internal: false }] }) as never;
    expect(reachableHost('0.0.0.0', interfaces, () => 'homelab')).toBe('192.168.1.20');
    expect(reachableHost('::', () => ({}), () => 'homelab')).toBe('homelab');
    expect(reachableHost('192.168.1.5', interfaces)).toBe('192.168.1.5');
    expect(reachableHost('fd00::5', interfaces)).toBe('[fd00::5]');
  });
});
