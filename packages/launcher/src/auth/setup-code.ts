/**
 * The one-time setup code of a launcher reachable from other machines (as Jupyter's token): the
 * first visitor of a fresh public install must prove they can read the launcher's log before
 * choosing the dashboard password. 12 characters of base32 (60 bits), grouped by four for
 * reading; with the rate limiter in front, guessing it is hopeless.
 */
import { randomBytes } from 'node:crypto';
import { hostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { sameSecret } from './auth.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new code such as `K7QD-2XMA-PW4R`. */
export function newSetupCode(random: (size: number) => Uint8Array = randomBytes): string {
  // 32 symbols divide 256 evenly: each byte's low five bits are uniform.
  const chars = [...random(12)].map((b) => ALPHABET[b & 31]!);
  return [chars.slice(0, 4), chars.slice(4, 8), chars.slice(8)].map((g) => g.join('')).join('-');
}

/** What the user typed, as the code is compared: case, spaces and dashes do not matter. */
export const normaliseSetupCode = (input: string) => input.toUpperCase().replace(/[^A-Z2-7]/g, '');

/** Constant-time comparison of a typed code with the current one. */
export const setupCodeMatches = (input: unknown, code: string) =>
  typeof input === 'string' && input.length <= 100 && sameSecret(normaliseSetupCode(input), normaliseSetupCode(code));

/**
 * A host for the URL in the setup notice: the bound address, or for a wildcard bind this
 * machine's first LAN IPv4 address (what another machine would type), else its name.
 */
export function reachableHost(bindHost: string, interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces, name: () => string = hostname): string {
  if (!['0.0.0.0', '::', '*', ''].includes(bindHost)) return bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  const lan = Object.values(interfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  return lan?.address ?? name();
}

/** The one log line with the code and where to use it. */
export const setupCodeNotice = (code: string, url: string) =>
  `first run: to choose the dashboard password, open ${url}/launcher-setup and enter the setup code ${code} — the dashboard is reachable from other machines, so the code shows that whoever sets the password can read this log; it is valid until a password is set, and a new one is printed at each start until then`;
