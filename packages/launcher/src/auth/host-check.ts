/**
 * DNS rebinding protection. A hostile page can point its own name (evil.example) at 127.0.0.1 or
 * at this machine's LAN address; the browser then treats the launcher as evil.example and lets
 * the page read its answers (and the Origin check passes: Origin and Host are both
 * evil.example). The browser still sends `Host: evil.example`, so every request and WebSocket
 * upgrade whose Host is not a name this launcher is opened by is refused.
 *
 * Served: IP literals (a rebinding attack needs a name the attacker controls; an IP in the
 * address bar is only ever that address, whichever interface, NAT or container port mapping
 * delivered it), `localhost` and `*.localhost` (browsers resolve them to loopback themselves),
 * this machine's name and `<name>.local`, and the names the user lists in `allowed_hosts` /
 * PICOCLAW_LAUNCHER_ALLOWED_HOSTS (a leading dot allows subdomains; `*` turns the check off).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';

export interface HostPolicy {
  /** From the settings, lowercase: exact names, `.suffix` for a name and its subdomains, or `*`. */
  allowed: readonly string[];
  /** This machine's own names (see machineNames). */
  machine: readonly string[];
}

/** The name in a Host header: lowercase, without port, IPv6 brackets or a final dot; undefined when malformed. */
export function hostOfHeader(header: string): string | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_.-]+))(?::\d{1,5})?$/i.exec(header.trim());
  if (!match) return undefined;
  if (match[1] !== undefined) return isIP(match[1]) === 6 ? match[1].toLowerCase() : undefined;
  const name = match[2]!.toLowerCase().replace(/\.$/, '');
  return name && !name.startsWith('.') && !name.includes('..') ? name : undefined;
}

/** `os.hostname()` and `<hostname>.local` (mDNS), plus the first label of a dotted hostname. */
export function machineNames(hostname: string): string[] {
  const name = hostname.trim().toLowerCase().replace(/\.$/, '');
  if (!name) return [];
  const short = name.split('.')[0]!;
  return [...new Set([name, `${name}.local`, short, `${short}.local`])];
}

/**
 * Whether a request with this Host header (and HTTP version) is for us. A missing Host is
 * accepted only from HTTP/1.0 clients (no browser sends such a request).
 */
export function hostAllowed(header: string | undefined, httpVersion: string, policy: HostPolicy): boolean {
  if (policy.allowed.includes('*')) return true;
  if (header === undefined || header.trim() === '') return httpVersion === '1.0';
  const host = hostOfHeader(header);
  if (host === undefined) return false;
  if (isIP(host) !== 0 || host === 'localhost' || host.endsWith('.localhost') || policy.machine.includes(host)) return true;
  return policy.allowed.some((entry) => (entry.startsWith('.') ? host === entry.slice(1) || host.endsWith(entry) : host === entry));
}

/** A Host header as it may appear in an answer or a log line (never raw control or non-ASCII text). */
export function printableHost(header: string | undefined): string {
  if (header === undefined || header === '') return '(none)';
  return /^[\x21-\x7e]{1,255}$/.test(header) ? JSON.stringify(header) : '(not printable)';
}

/** The refusal, naming the settings that would allow the name. */
export const hostRefusal = (header: string | undefined) =>
  `Host ${printableHost(header)} is not a name this launcher is opened by, so the request is refused (protection against DNS rebinding). If you open the dashboard by that name, add it to allowed_hosts in launcher-config.json or to PICOCLAW_LAUNCHER_ALLOWED_HOSTS (comma-separated; ".example.lan" allows its subdomains), then restart the launcher.`;

/**
 * The check for the launcher: returns the refusal text for a request that is not for us, or
 * undefined. The first refusals per name are logged (bounded) so the owner sees which name to add.
 */
export function createHostGuard(options: { allowed: readonly string[]; hostname?: string; log(message: string): void }) {
  const policy: HostPolicy = { allowed: options.allowed, machine: machineNames(options.hostname ?? osHostname()) };
  const reported = new Set<string>();
  return function refusal(req: Pick<IncomingMessage, 'headers' | 'httpVersion'>): string | undefined {
    if (hostAllowed(req.headers.host, req.httpVersion, policy)) return undefined;
    const shown = printableHost(req.headers.host);
    if (reported.size < 20 && !reported.has(shown)) {
      reported.add(shown);
      options.log(`refused a request for Host ${shown}: not a name of this launcher (DNS rebinding protection); if it is yours, add it to allowed_hosts in launcher-config.json or PICOCLAW_LAUNCHER_ALLOWED_HOSTS`);
    }
    return hostRefusal(req.headers.host);
  };
}
