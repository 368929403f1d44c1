import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ToolContext } from '../types.js';
import { isBlockedAddress } from './address-guard.js';
import { createWebFetchTool } from './web-fetch-tool.js';

/** A real HTTP server on 127.0.0.1: the "internal service" a model must not reach. */
let server: Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const url = req.url ?? '/';
    if (url.startsWith('/redirect?to=')) {
      res.writeHead(302, { location: decodeURIComponent(url.slice('/redirect?to='.length)) }).end();
    } else if (url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(100_000));
    } else if (url === '/hang') {
      // never answers
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><h1>internal ${url}</h1><script>x()</script><p>secret &amp; more</p></body></html>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  hits.length = 0;
});

const context = (signal = new AbortController().signal): ToolContext => ({ signal, sessionKey: 's', channel: 'pico', chatId: 'c', workspace: '/tmp' });
const PUBLIC = '93.184.215.14';

/** A resolver answering from a table; a list answers one entry per lookup, the last one repeating. */
function resolver(table: Record<string, string[] | string[][]>) {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    const answer = table[host];
    const n = calls.filter((h) => h === host).length;
    calls.push(host);
    if (!answer) throw new Error(`ENOTFOUND ${host}`);
    if (Array.isArray(answer[0])) return (answer as string[][])[Math.min(n, answer.length - 1)]!;
    return answer as string[];
  };
  return { resolve, calls };
}

const fetchWith = (options: { whitelist?: string[]; resolve?: (host: string) => Promise<string[]>; limitBytes?: number; timeoutMs?: number } = {}) =>
  createWebFetchTool({ limitBytes: options.limitBytes ?? 1_000_000, whitelist: options.whitelist ?? [], resolve: options.resolve ?? resolver({}).resolve, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.100.100.200',
    '192.0.0.192', '192.0.2.1', '198.18.0.1', '198.19.255.255', '198.51.100.1', '203.0.113.9', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255', '168.63.129.16',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '::127.0.0.1', '::ffff:0:7f00:1',
    '64:ff9b::7f00:1', '64:ff9b::808:808', '64:ff9b:1::1', '100::1', '2001::1', '2001:0:4136:e378::1', '2001:db8::1', '2002:7f00:1::1', '2002:808:808::1',
    'fc00::1', 'fd00:ec2::254', 'fe80::1', 'fe80::1%eth0', 'fec0::1', 'ff02::1', 'not-an-ip', '',
  ])('%s is blocked', (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '::ffff:8.8.8.8', '2606:4700:4700::1111', '2a00:1450:4007:80f::200e'])('%s is public', (ip) => {
    expect(isBlockedAddress(ip)).toBe(false);
  });
});

describe('web_fetch refuses internal addresses', () => {
  it('every IPv4-mapped IPv6 spelling of loopback and metadata, and other literal forms, without a byte sent', async () => {
    const tool = fetchWith();
    const urls = [
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::ffff:7f00:1]:${port}/`,
      `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/`,
      `http://[::ffff:169.254.169.254]:${port}/latest/meta-data/`,
      `http://127.0.0.1:${port}/`,
      `http://2130706433:${port}/`,
      `http://0.0.0.0:${port}/`,
      `http://[::]:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::127.0.0.1]:${port}/`,
      `http://[64:ff9b::7f00:1]:${port}/`,
      `http://[2002:7f00:1::]:${port}/`,
      `http://[fd00:ec2::254]:${port}/`,
      `http://168.63.129.16:${port}/`,
    ];
    for (const url of urls) {
      const result = await tool.execute({ url }, context());
      expect(result, url).toMatchObject({ isError: true, content: expect.stringMatching(/^refused: .*tools\.web\.private_host_whitelist/) });
    }
    expect(hits).toEqual([]);
  });

  it('DNS rebinding: a public answer to the first lookup and 127.0.0.1 to the second is refused at the connection', async () => {
    const dns = resolver({ localhost: [[PUBLIC], ['127.0.0.1']] });
    const result = await fetchWith({ resolve: dns.resolve }).execute({ url: `http://localhost:${port}/admin` }, context());
    expect(result).toMatchObject({ isError: true, content: expect.stringMatching(/^refused: localhost resolves to 127\.0\.0\.1/) });
    expect(dns.calls.length).toBeGreaterThanOrEqual(2);
    expect(hits).toEqual([]);
  });

  it('a host with one private address among public ones is refused', async () => {
    const dns = resolver({ 'mixed.example': [PUBLIC, '::ffff:7f00:1', '8.8.8.8'] });
    const result = await fetchWith({ resolve: dns.resolve }).execute({ url: `http://mixed.example:${port}/` }, context());
    expect(result).toMatchObject({ isError: true, content: expect.stringMatching(/^refused: mixed\.example resolves to ::ffff:7f00:1/) });
    expect(hits).toEqual([]);
  });

  it('a redirect from an allowed host to a private address is refused, in every spelling and through DNS', async () => {
    const dns = resolver({ localhost: ['127.0.0.1'], 'rebind.example': [[PUBLIC], ['10.0.0.7']], 'inside.example': ['192.168.1.10'] });
    const tool = fetchWith({ whitelist: ['localhost'], resolve: dns.resolve });
    for (const to of [`http://127.0.0.1:${port}/secret`, `http://[::ffff:7f00:1]:${port}/secret`, `http://[::ffff:169.254.169.254]/latest`, `http://inside.example:${port}/secret`, `http://rebind.example:${port}/secret`]) {
      const result = await tool.execute({ url: `http://localhost:${port}/redirect?to=${encodeURIComponent(to)}` }, context());
      expect(result, to).toMatchObject({ isError: true, content: expect.stringMatching(/^refused: /) });
    }
    expect(hits.every((h) => h.startsWith('/redirect'))).toBe(true);
  });

  it('a URL that is not http(s) is refused, also as a redirect target', async () => {
    const tool = fetchWith({ whitelist: ['127.0.0.1'] });
    expect(await tool.execute({ url: 'file:///etc/passwd' }, context())).toMatchObject({ isError: true, content: 'only http and https URLs can be fetched' });
    expect(await tool.execute({ url: `http://127.0.0.1:${port}/redirect?to=${encodeURIComponent('file:///etc/passwd')}` }, context())).toMatchObject({ isError: true, content: 'only http and https URLs can be fetched' });
  });
});

describe('web_fetch with private_host_whitelist', () => {
  it('an allowed address, CIDR or host name is fetched, HTML as text, redirects inside the whitelist followed', async () => {
    for (const whitelist of [['127.0.0.1'], ['127.0.0.0/8'], ['LocalHost']]) {
      const tool = fetchWith({ whitelist, resolve: resolver({ localhost: ['127.0.0.1'] }).resolve });
      const host = whitelist[0] === 'LocalHost' ? 'localhost' : '127.0.0.1';
      const result = await tool.execute({ url: `http://${host}:${port}/redirect?to=${encodeURIComponent(`http://${host}:${port}/page`)}` }, context());
      expect(result.isError, String(whitelist)).toBeFalsy();
      expect(result.content).toBe(`HTTP 200 http://${host}:${port}/redirect?to=${encodeURIComponent(`http://${host}:${port}/page`)}\n\ninternal /page\nsecret & more`);
    }
  });

  it('an allowed address allows its IPv4-mapped spelling, but not its neighbours', async () => {
    const tool = fetchWith({ whitelist: ['127.0.0.1'] });
    expect((await tool.execute({ url: `http://[::ffff:7f00:2]:${port}/` }, context())).content).toMatch(/^refused: /);
    expect(await tool.execute({ url: `http://127.0.0.2:${port}/` }, context())).toMatchObject({ isError: true, content: expect.stringMatching(/^refused: /) });
  });
});

describe('web_fetch limits', () => {
  const open = { whitelist: ['127.0.0.1'] };

  it('reads at most fetch_limit_bytes', async () => {
    const result = await fetchWith({ ...open, limitBytes: 1000 }).execute({ url: `http://127.0.0.1:${port}/big` }, context());
    expect(result.content).toBe(`HTTP 200 http://127.0.0.1:${port}/big\n\n${'x'.repeat(1000)}\n\n[truncated]`);
  });

  it('gives up after the timeout, and when the turn is stopped', async () => {
    const started = Date.now();
    const timedOut = await fetchWith({ ...open, timeoutMs: 300 }).execute({ url: `http://127.0.0.1:${port}/hang` }, context());
    expect(timedOut).toMatchObject({ isError: true, content: expect.stringMatching(/no complete answer .* within 0\.3 s/) });
    expect(Date.now() - started).toBeLessThan(3_000);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const stopped = await fetchWith(open).execute({ url: `http://127.0.0.1:${port}/hang` }, context(stop.signal));
    expect(stopped).toMatchObject({ isError: true, content: expect.stringMatching(/^fetch failed: /) });
  });

  it('too many redirects', async () => {
    let url = `http://127.0.0.1:${port}/page`;
    for (let i = 0; i < 6; i++) url = `http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(url)}`;
    expect(await fetchWith(open).execute({ url }, context())).toMatchObject({ isError: true, content: 'too many redirects' });
  });
});
