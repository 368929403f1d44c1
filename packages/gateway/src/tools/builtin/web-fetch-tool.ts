/**
 * web_fetch (off by default): fetches an http(s) URL and returns its text. Only public addresses
 * are reached unless `tools.web.private_host_whitelist` allows a host, an address or a CIDR, so
 * a poisoned page or entity name cannot make the gateway probe the homelab's own network, its own
 * HTTP API or a cloud metadata endpoint (address-guard.ts says what counts as public).
 *
 * The address checked is the address connected to: the connection resolves the host itself
 * (node:http/https with a `lookup` that refuses the whole answer when ANY address in it is
 * blocked), so DNS cannot answer a public address to a check and a private one to the fetch
 * (rebinding). An IP literal is checked before connecting (no lookup runs for it), and the
 * socket's remote address once connected. Every redirect hop goes through the same connection.
 */
import type { LookupAddress } from 'node:dns';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { defineTool } from '../define-tool.js';
import { createAddressGuard, type AddressGuard } from './address-guard.js';
import { webFetchDefinition } from './web-fetch-definition.js';

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|noscript)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|li|h[1-6]|tr)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n\s*\n+/g, '\n\n')
    .trim();
}

/** A refusal by the address rules (as opposed to a network failure). */
class RefusedError extends Error {}

const TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;

export interface WebFetchOptions {
  limitBytes: number;
  whitelist: string[];
  /** Resolves a host name to its addresses (tests inject one; default: the system resolver). */
  resolve?: (host: string) => Promise<string[]>;
  timeoutMs?: number;
}

const systemResolve = async (host: string) => (await (await import('node:dns/promises')).lookup(host, { all: true })).map((a) => a.address);

const refusal = (host: string, address: string) =>
  new RefusedError(
    `refused: ${host === address ? address : `${host} resolves to ${address}, which`} is a private, local or reserved address; ` +
      `add the host, the address or its range to tools.web.private_host_whitelist if the assistant may fetch from it`,
  );

/**
 * One GET without following redirects, connected only to addresses the guard allows. Resolves
 * with the response head; the body is the caller's to read or destroy.
 */
async function get(target: URL, guard: AddressGuard, resolve: (host: string) => Promise<string[]>, signal: AbortSignal): Promise<IncomingMessage> {
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const anyAddress = guard.hostAllowed(host);
  if (isIP(host) && !anyAddress && !guard.addressAllowed(host)) throw refusal(host, host);
  // Early and clear when the host's answer is private now; the connection's own lookup below
  // is the one that counts, as DNS may answer differently the second time.
  if (!isIP(host) && !anyAddress) {
    const addresses = await resolve(host).catch(() => []);
    const bad = addresses.find((a) => !guard.addressAllowed(a));
    if (bad) throw refusal(host, bad);
  }
  const lookup: RequestOptions['lookup'] = (hostname, options, callback) => {
    const done = callback as (error: Error | null, address: string | LookupAddress[], family?: number) => void;
    resolve(hostname).then(
      (addresses) => {
        const bad = anyAddress ? undefined : addresses.find((a) => !guard.addressAllowed(a));
        if (bad) return done(refusal(hostname, bad), []);
        const usable = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => a.family && (!options.family || a.family === options.family));
        if (!usable.length) return done(Object.assign(new Error(`cannot resolve ${hostname}`), { code: 'ENOTFOUND' }), []);
        if (options.all) done(null, usable);
        else done(null, usable[0]!.address, usable[0]!.family);
      },
      (error: Error) => done(error, []),
    );
  };
  // Loaded on first use, like dns: most gateways never fetch.
  const { request: requestFn } = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolvePromise, reject) => {
    const req = requestFn(target, { method: 'GET', agent: false, lookup, signal, headers: { 'user-agent': 'PicoClaw-TS web_fetch', accept: 'text/html, text/plain, application/json, */*;q=0.5' } }, resolvePromise);
    req.on('error', reject);
    // The second line: whatever resolved, the peer actually connected to must pass too. This
    // listener runs before the request's queued bytes are flushed, so none reach a refused peer.
    req.on('socket', (socket: Socket) => {
      socket.prependOnceListener('connect', () => {
        const peer = socket.remoteAddress ?? '';
        if (!anyAddress && !guard.addressAllowed(peer)) req.destroy(refusal(host, peer));
      });
    });
    req.end();
  });
}

export function createWebFetchTool(options: WebFetchOptions) {
  const guard = createAddressGuard(options.whitelist);
  const resolve = options.resolve ?? systemResolve;
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  return defineTool({
    ...webFetchDefinition,
    async execute({ url }, ctx) {
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
      let response: IncomingMessage | undefined;
      try {
        // Redirects are followed by hand so that every hop passes the same checks.
        let target = new URL(url);
        for (let hop = 0; ; hop++) {
          if (!/^https?:$/.test(target.protocol)) return { content: 'only http and https URLs can be fetched', isError: true };
          response = await get(target, guard, resolve, signal);
          const location = response.headers.location;
          const status = response.statusCode ?? 0;
          if (status < 300 || status >= 400 || !location) break;
          response.destroy();
          if (hop === MAX_REDIRECTS) return { content: 'too many redirects', isError: true };
          target = new URL(location, target);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of response as AsyncIterable<Buffer>) {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= options.limitBytes) break;
        }
        const raw = Buffer.concat(chunks).subarray(0, options.limitBytes).toString('utf8');
        const type = response.headers['content-type'] ?? '';
        const text = /html/i.test(type) ? htmlToText(raw) : raw;
        return `HTTP ${response.statusCode} ${url}\n\n${text.slice(0, 50_000)}${size >= options.limitBytes ? '\n\n[truncated]' : ''}`;
      } catch (error) {
        if (error instanceof RefusedError) return { content: error.message, isError: true };
        if (signal.aborted && !ctx.signal.aborted) return { content: `fetch failed: no complete answer from ${url} within ${timeoutMs / 1000} s`, isError: true };
        return { content: `fetch failed: ${error instanceof Error ? error.message : String(error)}`, isError: true };
      } finally {
        response?.destroy();
      }
    },
  });
}
