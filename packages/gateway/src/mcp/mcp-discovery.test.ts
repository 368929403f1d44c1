/**
 * Tool filtering and discovery through a real gateway and the fake Home Assistant's real MCP
 * server (60 tools): what the model is sent, what it can call, and what the status shows.
 */
import type { GatewayStatus } from '@picoclaw/core';
import { startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm, type FakeTurn } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { openPicoChat, type PicoChat } from '../testing/pico-chat.js';
import { startTestGateway, type TestGateway } from '../testing/start-test-gateway.js';

let llm: FakeLlm | undefined;
let ha: FakeHomeAssistant | undefined;
let gw: TestGateway | undefined;
let chat: PicoChat | undefined;
afterEach(async () => {
  chat?.close();
  await gw?.close();
  await Promise.all([llm?.close(), ha?.close()]);
  llm = ha = gw = chat = undefined;
});

const status = async () => (await (await fetch(`${gw!.base}/status`, { headers: { authorization: 'Bearer control-token' } })).json()) as GatewayStatus;

async function setUp(mcp: Record<string, unknown>, server: Record<string, unknown>, turns: FakeTurn[]) {
  llm = await startFakeLlm(turns, { echo: true });
  ha = await startFakeHomeAssistant({ moreTools: 56 });
  gw = await startTestGateway({
    config: {
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
      channel_list: { pico: { enabled: true, type: 'pico', settings: { token: 'pico-token' } } },
      tools: { mcp: { enabled: true, ...mcp, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` }, ...server } } } },
    },
  });
  for (let i = 0; i < 250 && (await status()).mcp.servers[0]?.state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 20));
  chat = await openPicoChat(gw.port, 'pico-token', 'kitchen');
}
const toolNames = (i: number) => llm!.requests[i]!.body.tools?.map((t) => t.function.name) ?? [];
const toolBytes = (i: number) => Buffer.byteLength(JSON.stringify(llm!.requests[i]!.body.tools ?? []));

describe('MCP tool filtering and discovery', () => {
  it('deny_tools / allow_tools withhold tools from the model, which cannot call them; the status counts them and the schema bytes', async () => {
    await setUp({}, { allow_tools: ['Hass*', 'GetLiveContext'], deny_tools: ['HassLock*', 'HassAlarm*'] }, [
      { toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_hasslockunlock', arguments: '{"name":"front door"}' }] },
      { text: ['I cannot do that.'] },
    ]);
    const server = (await status()).mcp.servers[0]!;
    expect(server.tools.map((t) => t.tool)).not.toContain('HassLockUnlock');
    expect(server.tools.map((t) => t.tool)).toContain('GetLiveContext');
    // 60 tools: 7 scripts not allowed, 4 lock/alarm tools denied.
    expect(server.tools).toHaveLength(49);
    expect(server.withheld).toBe(11);
    expect(server.schemaBytes).toBeGreaterThan(5_000);
    await chat!.ask('unlock the front door');
    expect(toolNames(0)).not.toContain('mcp_homeassistant_hasslockunlock');
    expect(llm!.requests[1]!.body.messages.at(-1)).toMatchObject({ role: 'tool', content: 'tool "mcp_homeassistant_hasslockunlock" not found' });
    expect(ha!.calls).toEqual([]);
  });

  it('discovery: the first request carries one search tool instead of 60; a search unlocks the tool, the model calls it, Home Assistant acts', async () => {
    await setUp({ discovery: { enabled: true } }, {}, [
      { toolCalls: [{ id: 's1', name: 'tool_search_tool_bm25', arguments: '{"query":"turn on light"}' }] },
      { toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_hassturnon', arguments: '{"name":"kitchen light"}' }] },
      { text: ['The kitchen light is on.'] },
    ]);
    expect((await status()).mcp.servers[0]).toMatchObject({ deferred: true });
    await chat!.ask('turn on the kitchen light');
    expect(ha!.calls).toEqual([{ tool: 'HassTurnOn', args: { name: 'kitchen light' } }]);
    expect(toolNames(0).filter((n) => n.startsWith('mcp_'))).toEqual([]);
    expect(toolNames(0)).toContain('tool_search_tool_bm25');
    const found = /^Found (\d) tools:[\s\S]*mcp_homeassistant_hassturnon[\s\S]*UNLOCKED/.exec(String(llm!.requests[1]!.body.messages.at(-1)!.content));
    expect(found).not.toBeNull();
    expect(toolNames(1)).toContain('mcp_homeassistant_hassturnon');
    expect(toolNames(1).filter((n) => n.startsWith('mcp_'))).toHaveLength(Number(found![1]));
    // The next turn in this chat still has it (ttl 5 steps); another chat does not.
    await chat!.ask('and now?');
    expect(toolNames(3)).toContain('mcp_homeassistant_hassturnon');
    const other = await openPicoChat(gw!.port, 'pico-token', 'garage');
    await other.ask('hello');
    other.close();
    expect(toolNames(4).filter((n) => n.startsWith('mcp_'))).toEqual([]);
    expect(toolBytes(4)).toBeLessThan(toolBytes(1));
  });
});
