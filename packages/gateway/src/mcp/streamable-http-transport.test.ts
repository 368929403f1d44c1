import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { startFakeHomeAssistant } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamableHttpTransport, McpHttpError } from './streamable-http-transport.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<URL> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

/** The SDK's own server side, stateful (session ids) and answering with JSON instead of SSE. */
async function statefulJsonServer() {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const seen: { session?: string; version?: string }[] = [];
  const url = await listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const session = req.headers['mcp-session-id'] as string | undefined;
    seen.push({ session, version: req.headers['mcp-protocol-version'] as string | undefined });
    let transport = session ? sessions.get(session) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, enableJsonResponse: true, onsessioninitialized: (id) => void sessions.set(id, transport!) });
      const mcp = new McpServer({ name: 'stateful', version: '0.0.0' });
      mcp.registerTool('echo', { description: 'echoes' }, async () => ({ content: [{ type: 'text', text: 'echoed' }] }));
      await mcp.connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  return { url, seen, sessions };
}

describe('streamable HTTP transport over node:http', () => {
  it('talks to the SDK server with sessions and JSON answers: sends the session id and protocol version back', async () => {
    const { url, seen, sessions } = await statefulJsonServer();
    const client = new Client({ name: 't', version: '0' });
    const transport = createStreamableHttpTransport(url);
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    expect(await client.callTool({ name: 'echo', arguments: {} })).toMatchObject({ content: [{ type: 'text', text: 'echoed' }] });
    await client.close();
    expect(sessions.size).toBe(1);
    const id = [...sessions.keys()][0];
    expect(transport.sessionId).toBe(id);
    expect(seen[0]).toEqual({ session: undefined, version: undefined });
    expect(seen.slice(1).every((s) => s.session === id && typeof s.version === 'string')).toBe(true);
  });

  it('talks to the fake Home Assistant (stateless, answers as SSE streams)', async () => {
    const ha = await startFakeHomeAssistant();
    try {
      const client = new Client({ name: 't', version: '0' });
      await client.connect(createStreamableHttpTransport(new URL(ha.url), { headers: { Authorization: `Bearer ${ha.token}` } }));
      expect(await client.callTool({ name: 'HassTurnOn', arguments: { name: 'kitchen light' } })).toMatchObject({ content: [{ text: 'turned on kitchen light' }] });
      await client.close();
    } finally {
      await ha.close();
    }
  });

  it('fails a refused POST with the status as code and the server\'s message', async () => {
    const url = await listen((_req, res) => void res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'bad token' })));
    const errors: Error[] = [];
    const transport = createStreamableHttpTransport(url);
    transport.onerror = (e) => errors.push(e);
    const failure = await transport.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(McpHttpError);
    expect(failure).toMatchObject({ code: 401, message: 'bad token' });
    expect(errors).toHaveLength(1);
  });

  it('reports a garbled answer through onerror and delivers the valid messages of the stream', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: not json\n\ndata: {"no":"jsonrpc"}\n\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
    });
    const transport = createStreamableHttpTransport(url);
    const errors: string[] = [];
    const messages: unknown[] = [];
    transport.onerror = (e) => errors.push(e.message);
    transport.onmessage = (m) => messages.push(m);
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
    expect(errors).toEqual([expect.stringMatching(/not JSON: not json/), expect.stringMatching(/not a JSON-RPC 2.0 message/)]);
  });

  it('close() ends a call that is still waiting, without an uncaught error', async () => {
    const url = await listen((_req, res) => void res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': waiting\n\n'));
    const transport = createStreamableHttpTransport(url);
    let closed = 0;
    transport.onclose = () => closed++;
    const pending = transport.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'slow' } });
    await new Promise((r) => setTimeout(r, 50));
    await transport.close();
    await expect(pending).resolves.toBeUndefined();
    await transport.close();
    expect(closed).toBe(1);
  });
});
