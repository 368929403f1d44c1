import { configSchema, type Config } from '@picoclaw/core';
import { describe, expect, it } from 'vitest';
import type { Tool } from '../tools/types.js';
import { createToolDiscovery } from './tool-discovery.js';

const tool = (server: string, name: string, description: string): Tool & { original: string } => ({
  original: name,
  name: `mcp_${server}_${name.toLowerCase()}`, description: `[MCP:${server}] ${description}`, parameters: { type: 'object' }, source: `mcp:${server}`,
  execute: async () => ({ content: `${name} done` }),
});
const ha = [
  tool('ha', 'HassTurnOn', 'Turns on a device or entity'),
  tool('ha', 'HassTurnOff', 'Turns off a device or entity'),
  tool('ha', 'HassLightSet', 'Sets the brightness or color of a light'),
  tool('ha', 'HassClimateSetTemperature', 'Sets the target temperature of a thermostat'),
  tool('ha', 'GetLiveContext', 'Provides real-time information about the states of devices'),
];
const files = [tool('fs', 'read', 'Reads a file')];

function setUp(mcp: Record<string, unknown>, warn: string[] = []) {
  let config: Config = configSchema.parse({ tools: { mcp: { enabled: true, servers: { ha: { url: 'http://ha/api/mcp' }, fs: { command: 'fs-server' } }, ...mcp } } });
  const discovery = createToolDiscovery({ config: () => config, list: () => [...ha, ...files], warn: (m) => warn.push(m) });
  const names = (key = 's', afterStep?: boolean) => discovery.tools(key, afterStep).map((t) => t.name);
  const search = async (query: string, key = 's', kind = 'tool_search_tool_bm25') => {
    const found = discovery.tools(key).find((t) => t.name === kind)!;
    return (await found.execute(kind.endsWith('bm25') ? { query } : { pattern: query }, { sessionKey: key, channel: 'pico', chatId: key, workspace: '/tmp', signal: new AbortController().signal })).content;
  };
  return { discovery, names, search, set: (m: Record<string, unknown>) => (config = configSchema.parse({ tools: { mcp: { enabled: true, ...m } } })) };
}

describe('MCP tool discovery', () => {
  it('off: every tool is offered, no search tool', () => {
    const t = setUp({});
    expect(t.names()).toEqual([...ha, ...files].map((x) => x.name));
  });

  it('on: deferred tools are hidden behind tool_search_tool_bm25; a search unlocks the best hits for that chat only', async () => {
    const t = setUp({ discovery: { enabled: true, max_search_results: 2 }, servers: { ha: { url: 'http://ha/api/mcp' }, fs: { command: 'fs-server', deferred: false } } });
    expect(t.names()).toEqual(['mcp_fs_read', 'tool_search_tool_bm25']);
    const result = await t.search('turn on the kitchen light');
    expect(result).toMatch(/^Found 2 tools:\n\[.*"name":"mcp_ha_hassturnon".*\]\n\nSUCCESS: These tools have been temporarily UNLOCKED/s);
    expect(t.names()).toContain('mcp_ha_hassturnon');
    expect(t.names()).toHaveLength(4);
    // Another chat has not searched.
    expect(t.names('other')).toEqual(['mcp_fs_read', 'tool_search_tool_bm25']);
    expect(await t.search('thermostat temperature')).toMatch(/mcp_ha_hassclimatesettemperature/);
    expect(await t.search('zzzz qqqq')).toBe('No tools found matching the query.');
    // Without a chat (listings) every tool shows.
    expect(t.discovery.tools().map((x) => x.name)).toHaveLength(6);
  });

  it('an unlocked tool lasts ttl tool steps after the one that unlocked it, then hides until searched again', async () => {
    const t = setUp({ discovery: { enabled: true, ttl: 2 } });
    await t.search('GetLiveContext states');
    expect(t.names('s', true)).toContain('mcp_ha_getlivecontext'); // the step of the search
    expect(t.names('s', true)).toContain('mcp_ha_getlivecontext'); // 1 left
    expect(t.names('s', true)).not.toContain('mcp_ha_getlivecontext');
    await t.search('live context');
    expect(t.names('s')).toContain('mcp_ha_getlivecontext');
  });

  it('honours deferred both ways, offers the regex search when asked, and falls back to BM25 (with a warning) when both are off', async () => {
    const warn: string[] = [];
    const t = setUp({ discovery: { enabled: false }, servers: { ha: { url: 'http://ha/api/mcp', deferred: true }, fs: { command: 'fs-server' } } }, warn);
    expect(t.names()).toEqual(['mcp_fs_read', 'tool_search_tool_bm25']);
    t.set({ discovery: { enabled: true, use_bm25: false, use_regex: true }, servers: { ha: { url: 'http://ha/api/mcp' }, fs: { command: 'x' } } });
    expect(t.names()).toEqual(['tool_search_tool_regex']);
    expect(await t.search('^mcp_ha_hassturno', 's', 'tool_search_tool_regex')).toMatch(/Found 2 tools/);
    expect(await t.search('(', 's', 'tool_search_tool_regex')).toMatch(/^invalid pattern/);
    t.set({ discovery: { enabled: true, use_bm25: false, use_regex: false }, servers: { ha: { url: 'http://ha/api/mcp' } } });
    expect(t.names('x')).toEqual(['tool_search_tool_bm25']);
    expect(warn).toEqual(['tools.mcp.discovery has use_bm25 and use_regex both off; searching with BM25']);
  });
});
