import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSettings, loadGatewaySettings, loadLauncherSettings } from './settings.js';

describe('launcher settings', () => {
  it('has the documented defaults', () => {
    const s = loadLauncherSettings({ env: {} });
    expect(s).toMatchObject({ host: '127.0.0.1', port: 18800, public: false, logLevel: 'info', token: '' });
    expect(s.home).toBe(join(homedir(), '.picoclaw'));
    expect(s.config).toBe(join(homedir(), '.picoclaw', 'config.json'));
  });

  it('takes a flag over env over file over default', () => {
    const file = { port: 18801, log_level: 'warn', password_hash: 'scrypt$…', allowed_cidrs: [] };
    expect(loadLauncherSettings({ env: {}, file }).port).toBe(18801);
    expect(loadLauncherSettings({ env: { PICOCLAW_LAUNCHER_PORT: '18802' }, file }).port).toBe(18802);
    expect(loadLauncherSettings({ env: { PICOCLAW_LAUNCHER_PORT: '18802' }, file, argv: ['--port', '18803'] }).port).toBe(18803);
    expect(loadLauncherSettings({ env: {}, file }).logLevel).toBe('warn');
    expect(loadLauncherSettings({ env: { PICOCLAW_LOG_LEVEL: 'debug' }, file }).logLevel).toBe('debug');
    expect(loadLauncherSettings({ env: { PICOCLAW_LOG_LEVEL: 'debug' }, file, argv: ['--log-level=error'] }).logLevel).toBe('error');
  });

  it('names the source of a bad value and what is valid', () => {
    expect(() => loadLauncherSettings({ env: {}, file: { port: 'abc' } })).toThrow(/port \(from launcher-config.json port\): must be a port number from 1 to 65535/);
    expect(() => loadLauncherSettings({ env: { PICOCLAW_LAUNCHER_PORT: '70000' } })).toThrow(/port \(from env PICOCLAW_LAUNCHER_PORT\)/);
    expect(() => loadLauncherSettings({ env: {}, argv: ['--port', '-1'] })).toThrow(/port \(from --port\)/);
    expect(() => loadLauncherSettings({ env: { PICOCLAW_LOG_LEVEL: 'loud' } })).toThrow(/logLevel \(from env PICOCLAW_LOG_LEVEL\).*expected one of debug, info, warn, error/);
    expect(() => loadLauncherSettings({ env: {}, argv: ['--prot', '1'] })).toThrow(/unknown flag --prot; flags: --home, --config, --host, --port/);
  });

  it('binds all interfaces with --public unless a host is given', () => {
    expect(loadLauncherSettings({ env: {}, argv: ['--public'] })).toMatchObject({ host: '0.0.0.0', public: true });
    expect(loadLauncherSettings({ env: {}, argv: ['--public', '--host', '192.0.2.1'] }).host).toBe('192.0.2.1');
    expect(loadLauncherSettings({ env: {}, file: { public: true } }).host).toBe('0.0.0.0');
  });

  it('expands ~ and resolves the config path from home', () => {
    const s = loadLauncherSettings({ env: { PICOCLAW_HOME: '~/ph' } });
    expect(s.home).toBe(join(homedir(), 'ph'));
    expect(s.config).toBe(join(homedir(), 'ph', 'config.json'));
    expect(loadLauncherSettings({ env: {}, argv: ['--config', '/etc/picoclaw/config.json'] }).config).toBe('/etc/picoclaw/config.json');
  });

  it('reads allowed hosts and trusted proxies from launcher-config.json or the environment, and refuses bad entries', () => {
    expect(loadLauncherSettings({ env: {} })).toMatchObject({ allowedHosts: [], trustedProxies: [] });
    const file = { allowed_hosts: ['Homelab.LAN', '.proxy.example'], trusted_proxy_cidrs: ['10.0.0.0/8', '::1'] };
    expect(loadLauncherSettings({ env: {}, file })).toMatchObject({ allowedHosts: ['homelab.lan', '.proxy.example'], trustedProxies: ['10.0.0.0/8', '::1'] });
    // The environment (comma-separated) wins over the file, like every other setting.
    const env = { PICOCLAW_LAUNCHER_ALLOWED_HOSTS: 'a.lan, b.lan,', PICOCLAW_LAUNCHER_TRUSTED_PROXIES: '127.0.0.1, 192.168.1.0/24' };
    expect(loadLauncherSettings({ env, file })).toMatchObject({ allowedHosts: ['a.lan', 'b.lan'], trustedProxies: ['127.0.0.1', '192.168.1.0/24'] });
    expect(loadLauncherSettings({ env: { PICOCLAW_LAUNCHER_ALLOWED_HOSTS: '*' } }).allowedHosts).toEqual(['*']);
    expect(() => loadLauncherSettings({ env: { PICOCLAW_LAUNCHER_TRUSTED_PROXIES: '10.0.0.0/33' } })).toThrow(/trustedProxies \(from env PICOCLAW_LAUNCHER_TRUSTED_PROXIES\): "10.0.0.0\/33" is not an IP address or CIDR range/);
    expect(() => loadLauncherSettings({ env: {}, file: { trusted_proxy_cidrs: ['loopback'] } })).toThrow(/trustedProxies \(from launcher-config.json trusted_proxy_cidrs\)/);
    expect(() => loadLauncherSettings({ env: {}, file: { allowed_hosts: ['evil host'] } })).toThrow(/allowedHosts \(from launcher-config.json allowed_hosts\): "evil host" is not a host name/);
  });

  it('never shows the token', () => {
    const s = loadLauncherSettings({ env: { PICOCLAW_LAUNCHER_TOKEN: '  homelab-master-password  ' } });
    expect(s.token).toBe('homelab-master-password');
    expect(JSON.stringify(describeSettings(s))).not.toContain('homelab-master-password');
    expect(describeSettings(s).token).toBe('(set)');
  });
});

describe('gateway settings', () => {
  it('listens on 127.0.0.1:18790 by default and reads the config.json gateway block', () => {
    expect(loadGatewaySettings({ env: {} })).toMatchObject({ host: '127.0.0.1', port: 18790, logLevel: 'info', allowPublic: false });
    expect(loadGatewaySettings({ env: {}, file: { host: '127.0.0.1', port: 18791, hot_reload: false } }).port).toBe(18791);
    expect(loadGatewaySettings({ env: { PICOCLAW_GATEWAY_PORT: '18792' }, file: { port: 18791 } }).port).toBe(18792);
  });

  it('-d forces debug logging; -E allows starting without a model', () => {
    expect(loadGatewaySettings({ env: { PICOCLAW_LOG_LEVEL: 'warn' }, argv: ['-d', '-E'] })).toMatchObject({ logLevel: 'debug', allowEmpty: true });
  });

  it('refuses a non-loopback host without --allow-public and a token', () => {
    expect(() => loadGatewaySettings({ env: {}, argv: ['--host', '0.0.0.0'] })).toThrow(/not loopback.*--allow-public and a token/);
    expect(() => loadGatewaySettings({ env: {}, argv: ['--host', '0.0.0.0', '--allow-public'] })).toThrow(/PICOCLAW_GATEWAY_TOKEN/);
    expect(loadGatewaySettings({ env: { PICOCLAW_GATEWAY_TOKEN: 't0k3n-internal' }, argv: ['--host', '0.0.0.0', '--allow-public'] }).host).toBe('0.0.0.0');
    expect(() => loadGatewaySettings({ env: { PICOCLAW_GATEWAY_HOST: '0.0.0.0' } })).toThrow(/not loopback/);
  });

  it("keeps a config.json's public gateway.host (PicoClaw's examples say 0.0.0.0) on loopback, and says so", () => {
    const settings = loadGatewaySettings({ env: {}, file: { host: '0.0.0.0', port: 18790 } });
    expect(settings.host).toBe('127.0.0.1');
    expect(settings.notes).toEqual([expect.stringMatching(/^gateway\.host 0\.0\.0\.0 \(config\.json\) is not loopback: the gateway listens on 127\.0\.0\.1.*--allow-public and a token/)]);
    expect(loadGatewaySettings({ env: { PICOCLAW_GATEWAY_TOKEN: 't0k3n-internal' }, argv: ['--allow-public'], file: { host: '0.0.0.0' } }).host).toBe('0.0.0.0');
    expect(loadGatewaySettings({ env: {}, argv: ['--host', 'localhost'] }).host).toBe('localhost');
  });

  it('refuses an empty host as the reference does', () => {
    expect(() => loadGatewaySettings({ env: {}, argv: ['--host= '] })).toThrow(/host cannot be empty/);
  });

  it('keeps sensitive values out of errors', () => {
    try {
      loadGatewaySettings({ env: { PICOCLAW_GATEWAY_TOKEN: 'super-secret-token' }, argv: ['--port', 'x'] });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('super-secret-token');
    }
  });
});
