import { startFakeHomeAssistant, type FakeHomeAssistant } from '@picoclaw/test-fakes';
import { configSchema, type McpServerConfig } from '@picoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpManager, mapToolResult, mcpErrorHint, type McpManager } from './mcp-manager.js';
import { mcpToolName } from './tool-name.js';

const server = (input: Record<string, unknown>): McpServerConfig =>
  configSchema.parse({ tools: { mcp: { servers: { s: input } } } }).tools.mcp.servers.s!;

let ha: FakeHomeAssistant | undefined;
let manager: McpManager | undefined;
afterEach(async () => {
  await manager?.close();
  await ha?.close();
  manager = ha = undefined;
});

async function until<T>(check: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
const context = { signal: new AbortController().signal, sessionKey: 's', channel: 'test', chatId: 'c', home: '/tmp', workspace: '/tmp/workspace' };

describe('MCP manager against a fake Home Assistant', () => {
  it('connects with the bearer header, lists tools as mcp_<server>_<tool> and calls them', async () => {
    ha = await startFakeHomeAssistant();
    manager = createMcpManager({ servers: { homeassistant: server({ type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } }) }, home: '/tmp', workspace: '/tmp/workspace' });
    manager.start();
    await until(() => manager!.status()[0]!.state === 'connected');
    const names = manager.list().map((t) => t.name).sort();
    expect(names).toEqual(['mcp_homeassistant_getlivecontext', 'mcp_homeassistant_hasslightset', 'mcp_homeassistant_hassturnoff', 'mcp_homeassistant_hassturnon']);
    const turnOn = manager.list().find((t) => t.name === 'mcp_homeassistant_hassturnon')!;
    expect(turnOn.description).toMatch(/^\[MCP:homeassistant\] Turns on/);
    expect(turnOn.parameters).toMatchObject({ type: 'object', properties: { name: { type: 'string' } } });
    expect(await turnOn.execute({ name: 'kitchen light' }, context)).toEqual({ content: 'turned on kitchen light' });
    expect(ha.calls).toEqual([{ tool: 'HassTurnOn', args: { name: 'kitchen light' } }]);
    expect(await turnOn.execute({ name: 'garage' }, context)).toEqual({ content: 'MCP tool returned error: no device named garage', isError: true });
  });

  it('reports a wrong token with a hint, and never blocks', async () => {
    ha = await startFakeHomeAssistant();
    manager = createMcpManager({ servers: { homeassistant: server({ type: 'http', url: ha.url, headers: { Authorization: 'Bearer wrong' } }) }, home: '/tmp', workspace: '/tmp/workspace', retryBaseMs: 10_000 });
    manager.start();
    const status = await until(() => manager!.status().find((s) => s.state === 'failed'));
    expect(status.lastError).toMatch(/^MCP server homeassistant: HTTP 401: /);
    expect(status.hint).toMatch(/long-lived access token/);
    expect(manager.list()).toEqual([]);
  });

  it('is degraded while the server is down and gets its tools once it comes up', async () => {
    ha = await startFakeHomeAssistant();
    const port = ha.port;
    await ha.stop();
    manager = createMcpManager({ servers: { homeassistant: server({ type: 'http', url: `http://127.0.0.1:${port}/api/mcp`, headers: { Authorization: `Bearer ${ha.token}` } }) }, home: '/tmp', workspace: '/tmp/workspace', retryBaseMs: 50, retryMaxMs: 100 });
    manager.start();
    const failed = await until(() => manager!.status().find((s) => s.state === 'failed'));
    expect(failed.lastError).toMatch(/^MCP server homeassistant: cannot reach 127\.0\.0\.1:\d+: connection refused$/);
    expect(failed.hint).toMatch(/host network/);
    await ha.start();
    await until(() => manager!.status()[0]!.state === 'connected');
    expect(manager.list()).toHaveLength(4);
  });

  it('marks the server failed when a call finds it gone, and reconnects', async () => {
    ha = await startFakeHomeAssistant();
    manager = createMcpManager({ servers: { ha: server({ type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } }) }, home: '/tmp', workspace: '/tmp/workspace', retryBaseMs: 50, retryMaxMs: 100 });
    manager.start();
    await until(() => manager!.status()[0]!.state === 'connected');
    const tool = manager.list()[0]!;
    await ha.stop();
    const result = await tool.execute({}, context);
    expect(result.isError).toBe(true);
    expect(manager.status()[0]!.state).not.toBe('connected');
    await ha.start();
    await until(() => manager!.status()[0]!.state === 'connected');
  });

  it('keeps unchanged servers connected on reload and drops removed ones', async () => {
    ha = await startFakeHomeAssistant();
    const config = server({ type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } });
    manager = createMcpManager({ servers: { ha: config }, home: '/tmp', workspace: '/tmp/workspace' });
    manager.start();
    await until(() => manager!.status()[0]!.state === 'connected');
    const connectedAt = manager.status()[0]!.connectedAt;
    await manager.reload({ ha: config, other: server({ enabled: false, command: 'nothing' }) });
    expect(manager.status().map((s) => [s.name, s.state])).toEqual([['ha', 'connected'], ['other', 'disabled']]);
    expect(manager.status()[0]!.connectedAt).toBe(connectedAt);
    await manager.reload({});
    expect(manager.status()).toEqual([]);
    expect(manager.list()).toEqual([]);
  });

  it('runs a stdio server without leaking the gateway environment', async () => {
    process.env.PICOCLAW_SECRET_FOR_TEST = 'must-not-leak';
    const script = `
      import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
      import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
      const s = new McpServer({ name: 'env', version: '0' });
      s.registerTool('read_env', { description: 'env', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: JSON.stringify({ leak: process.env.PICOCLAW_SECRET_FOR_TEST ?? null, mine: process.env.MINE }) }] }));
      await s.connect(new StdioServerTransport());`;
    manager = createMcpManager({ servers: { env: server({ command: process.execPath, args: ['--input-type=module', '-e', script], env: { MINE: 'yes' } }) }, home: new URL('../..', import.meta.url).pathname, workspace: '/tmp/workspace' });
    manager.start();
    await until(() => manager!.status()[0]!.state === 'connected', 10_000);
    const result = await manager.list()[0]!.execute({}, context);
    expect(JSON.parse(result.content)).toEqual({ leak: null, mine: 'yes' });
    delete process.env.PICOCLAW_SECRET_FOR_TEST;
  });

  it('checks results against a tool\'s output schema (ajv, loaded for such tools only)', async () => {
    // The low-level Server, so the invalid result reaches the client unchecked.
    const script = `
      import { Server } from '@modelcontextprotocol/sdk/server/index.js';
      import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
      import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
      const s = new Server({ name: 'typed', version: '0' }, { capabilities: { tools: {} } });
      const outputSchema = { type: 'object', properties: { level: { type: 'number' } }, required: ['level'] };
      s.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: ['good', 'bad'].map((name) => ({ name, inputSchema: { type: 'object' }, outputSchema })) }));
      s.setRequestHandler(CallToolRequestSchema, async (r) => ({ content: [{ type: 'text', text: r.params.name }], structuredContent: { level: r.params.name === 'good' ? 3 : 'high' } }));
      await s.connect(new StdioServerTransport());`;
    manager = createMcpManager({ servers: { typed: server({ command: process.execPath, args: ['--input-type=module', '-e', script] }) }, home: new URL('../..', import.meta.url).pathname, workspace: '/tmp/workspace' });
    manager.start();
    await until(() => manager!.status()[0]!.state === 'connected', 10_000);
    const tool = (name: string) => manager!.list().find((t) => t.name === mcpToolName('typed', name))!;
    expect(await tool('good').execute({}, context)).toEqual({ content: 'good' });
    const refused = await tool('bad').execute({}, context);
    expect(refused.isError).toBe(true);
    expect(refused.content).toMatch(/output schema.*level.*number/i);
  });

  it('explains a stdio command that does not exist', async () => {
    manager = createMcpManager({ servers: { x: server({ command: 'definitely-not-a-command-xyz' }) }, home: '/tmp', workspace: '/tmp/workspace', retryBaseMs: 10_000 });
    manager.start();
    const status = await until(() => manager!.status().find((s) => s.state === 'failed'));
    expect(status.hint).toMatch(/cannot start "definitely-not-a-command-xyz"/);
  });
});

describe('MCP helpers', () => {
  it('names tools as the reference does', () => {
    expect(mcpToolName('github', 'create_issue')).toBe('mcp_github_create_issue');
    expect(mcpToolName('homeassistant', 'HassTurnOn')).toBe('mcp_homeassistant_hassturnon');
    expect(mcpToolName('Home Assistant', 'HassTurnOn')).toMatch(/^mcp_home_assistant_hassturnon_[0-9a-f]{8}$/);
    const long = mcpToolName('server', 'x'.repeat(100));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(mcpToolName('a', 'b.c')).not.toBe(mcpToolName('a', 'b_c'));
  });

  it('maps results: text, images, errors, long text', () => {
    expect(mapToolResult({ content: [{ type: 'text', text: ' hi ' }, { type: 'image', mimeType: 'image/png', data: 'x' }] }, 100)).toEqual({ content: 'hi\n[MCP returned an image (image/png)]', images: [{ mime: 'image/png', data: 'x' }] });
    expect(mapToolResult({ content: [{ type: 'text', text: 'nope' }], isError: true }, 100)).toEqual({ content: 'MCP tool returned error: nope', isError: true });
    expect(mapToolResult({ content: [{ type: 'text', text: 'x'.repeat(50) }] }, 10).content).toMatch(/^x{10}\n\[… 40 more characters omitted\]$/);
  });

  it('hints at the usual Home Assistant mistakes', () => {
    expect(mcpErrorHint('HTTP 404', { url: 'http://ha:8123/mcp' })).toMatch(/\/api\/mcp/);
    expect(mcpErrorHint('Error: HTTP 405 Method Not Allowed', { url: 'http://ha:8123/api/mcp' })).toMatch(/"type": "http"/);
  });
});
