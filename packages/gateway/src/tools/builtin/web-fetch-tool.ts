/**
 * web_fetch (off by default): fetches an http(s) URL and returns its text. Private, loopback and
 * link-local addresses are refused unless listed in `tools.web.private_host_whitelist`, so a chat
 * message cannot make the gateway probe the homelab's own network.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { defineTool } from '../define-tool.js';

export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 6) {
    const v = ip.toLowerCase();
    if (v === '::1' || v === '::') return true;
    if (v.startsWith('::ffff:')) return isPrivateAddress(v.slice(7));
    return /^(fc|fd|fe8|fe9|fea|feb)/.test(v);
  }
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

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

export function createWebFetchTool(options: { limitBytes: number; whitelist: string[]; fetch?: typeof fetch; resolve?: (host: string) => Promise<string[]> }) {
  const doFetch = options.fetch ?? fetch;
  const resolveHost = options.resolve ?? (async (host: string) => (await (await import('node:dns/promises')).lookup(host, { all: true })).map((a) => a.address));
  return defineTool({
    name: 'web_fetch',
    description: 'Fetches a web page (http or https) and returns its readable text.',
    input: { url: z.string().url() },
    async execute({ url }, ctx) {
      const check = async (target: URL): Promise<string | undefined> => {
        if (!/^https?:$/.test(target.protocol)) return 'only http and https URLs can be fetched';
        const host = target.hostname.replace(/^\[|\]$/g, '');
        if (options.whitelist.includes(host)) return undefined;
        const addresses = isIP(host) ? [host] : await resolveHost(host).catch(() => []);
        if (addresses.length === 0) return `cannot resolve ${host}`;
        if (addresses.some(isPrivateAddress)) return `refused: ${host} is a private or local address (allow it in tools.web.private_host_whitelist)`;
        return undefined;
      };
      try {
        // Redirects are followed by hand so that every hop passes the same address check.
        let target = new URL(url);
        let response: Response | undefined;
        for (let hop = 0; hop <= 5; hop++) {
          const refused = await check(target);
          if (refused) return { content: refused, isError: true };
          response = await doFetch(target, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(30_000)]), redirect: 'manual', headers: { 'user-agent': 'PicoClaw-TS web_fetch' } });
          const location = response.headers.get('location');
          if (response.status < 300 || response.status >= 400 || !location) break;
          await response.body?.cancel();
          target = new URL(location, target);
          if (hop === 5) return { content: 'too many redirects', isError: true };
        }
        if (!response) return { content: 'no response', isError: true };
        const reader = response.body?.getReader();
        const chunks: Uint8Array[] = [];
        let size = 0;
        while (reader && size < options.limitBytes) {
          const { value, done } = await reader.read();
          if (done) break;
          chunks.push(value);
          size += value.length;
        }
        await reader?.cancel().catch(() => {});
        const raw = Buffer.concat(chunks).subarray(0, options.limitBytes).toString('utf8');
        const type = response.headers.get('content-type') ?? '';
        const text = /html/i.test(type) ? htmlToText(raw) : raw;
        return `HTTP ${response.status} ${url}\n\n${text.slice(0, 50_000)}${size >= options.limitBytes ? '\n\n[truncated]' : ''}`;
      } catch (error) {
        return { content: `fetch failed: ${error instanceof Error ? error.message : String(error)}`, isError: true };
      }
    },
  });
}
