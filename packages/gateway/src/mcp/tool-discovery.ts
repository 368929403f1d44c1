/**
 * MCP tool discovery (PicoClaw's `tools.mcp.discovery`): a deferred server's tools are not sent
 * with every request; the model finds them with `tool_search_tool_bm25` (keywords, BM25 over name
 * and description) or `tool_search_tool_regex`, and what it finds is unlocked for that chat for
 * the next `ttl` tool steps (then hidden again until searched for anew). Home Assistant's sixty
 * tools then cost a prompt one short definition instead of ~15 KB.
 *
 * Unlike PicoClaw, a server's `deferred` is honoured both ways (true defers it with discovery off,
 * false keeps it eager with discovery on), both search kinds off falls back to BM25, and the step
 * that unlocks a tool does not count against its `ttl` (with ttl 1 it is usable once, not never).
 */
import type { Config } from '@picoclaw/core';
import * as z from 'zod';
import { defineTool } from '../tools/define-tool.js';
import type { Tool } from '../tools/types.js';

export const isDeferred = (server: { deferred?: boolean | undefined }, discoveryEnabled: boolean): boolean => server.deferred ?? discoveryEnabled;

export interface ToolDiscovery {
  /**
   * The MCP tools a chat's turn is offered now: the eager ones, the search tools when any are
   * deferred, and what a search unlocked for this chat. `afterStep`: a tool step of the turn has
   * just ended (unlocked tools age by one). Without a session key: every MCP tool (listings).
   */
  tools(sessionKey?: string, afterStep?: boolean): Tool[];
}

/** Chats whose unlocked tools are remembered; the oldest is forgotten past this. */
const MAX_SESSIONS = 1000;

type Index = { search(query: string): { id: string }[] };

export function createToolDiscovery(deps: { config: () => Config; list: () => readonly Tool[]; warn?: (message: string) => void }): ToolDiscovery {
  /** Per chat: tool name → steps left; `fresh` were unlocked in the current step. */
  const unlocked = new Map<string, { ttl: Map<string, number>; fresh: Set<string> }>();
  let index: { key: string; built: Promise<Index> } | undefined;
  let warned = false;

  const settings = () => deps.config().tools.mcp.discovery;
  const serverOf = (tool: Tool) => deps.config().tools.mcp.servers[tool.source.slice('mcp:'.length)];
  const hidden = () => deps.list().filter((t) => isDeferred(serverOf(t) ?? {}, settings().enabled));

  /** The BM25 index of the hidden tools, rebuilt when their names change; the library loads on the first search. */
  function bm25(tools: readonly Tool[]): Promise<Index> {
    const key = tools.map((t) => t.name).join('\n');
    if (index?.key !== key) {
      const built = import('minisearch').then(({ default: MiniSearch }) => {
        const search = new MiniSearch<{ id: string; name: string; description: string }>({
          fields: ['name', 'description'],
          // The server's own name (HassTurnOn) split into its words: ours (mcp_ha_hassturnon) runs them together.
          tokenize: (text) => text.replace(/([a-z])([A-Z])/g, '$1 $2').split(/[^\p{L}\p{N}]+/u).filter(Boolean),
          searchOptions: { prefix: true, fuzzy: 0.2, boost: { name: 2 } },
        });
        search.addAll(tools.map((t) => ({ id: t.name, name: `${t.name} ${(t as Tool & { original?: string }).original ?? ''}`, description: t.description })));
        return search as Index;
      });
      index = { key, built };
    }
    return index.built;
  }

  function unlock(sessionKey: string, names: string[]) {
    let entry = unlocked.get(sessionKey);
    if (!entry) {
      if (unlocked.size >= MAX_SESSIONS) unlocked.delete(unlocked.keys().next().value!);
      unlocked.set(sessionKey, (entry = { ttl: new Map(), fresh: new Set() }));
    }
    for (const name of names) {
      entry.ttl.set(name, settings().ttl);
      entry.fresh.add(name);
    }
  }

  function found(sessionKey: string, tools: Tool[]) {
    if (tools.length === 0) return 'No tools found matching the query.';
    unlock(sessionKey, tools.map((t) => t.name));
    const list = JSON.stringify(tools.map((t) => ({ name: t.name, description: t.description })));
    return `Found ${tools.length} tools:\n${list}\n\nSUCCESS: These tools have been temporarily UNLOCKED as native tools! In your next response, you can call them directly by name.`;
  }

  const searchBm25 = defineTool({
    name: 'tool_search_tool_bm25',
    description: 'Find hidden tools (e.g. Home Assistant) by keywords and unlock them for your next steps.',
    input: { query: z.string().trim().min(1, 'query is empty') },
    async execute({ query }, context) {
      const tools = hidden();
      const byName = new Map(tools.map((t) => [t.name, t]));
      const hits = (await bm25(tools)).search(query).slice(0, settings().max_search_results);
      return found(context.sessionKey, hits.map((h) => byName.get(h.id)!).filter(Boolean));
    },
  });
  const searchRegex = defineTool({
    name: 'tool_search_tool_regex',
    description: 'Find hidden tools whose name or description matches a regular expression, and unlock them.',
    input: { pattern: z.string().min(1, 'pattern is empty').max(200) },
    async execute({ pattern }, context) {
      let re: RegExp;
      try {
        re = new RegExp(pattern, 'i');
      } catch (error) {
        return { content: `invalid pattern: ${(error as Error).message}`, isError: true };
      }
      const hits = hidden().filter((t) => re.test(t.name) || re.test(t.description)).sort((a, b) => (a.name < b.name ? -1 : 1));
      return found(context.sessionKey, hits.slice(0, settings().max_search_results));
    },
  });

  function searchTools(): Tool[] {
    const { use_bm25, use_regex } = settings();
    if (!use_bm25 && !use_regex && !warned) {
      warned = true;
      deps.warn?.('tools.mcp.discovery has use_bm25 and use_regex both off; searching with BM25');
    }
    return [...(use_bm25 || !use_regex ? [searchBm25] : []), ...(use_regex ? [searchRegex] : [])];
  }

  return {
    tools(sessionKey, afterStep) {
      const all = deps.list();
      if (sessionKey === undefined || all.length === 0) return [...all];
      const discovery = settings().enabled;
      const deferred = new Set(all.filter((t) => isDeferred(serverOf(t) ?? {}, discovery)));
      if (deferred.size === 0) return [...all];
      const entry = unlocked.get(sessionKey);
      if (entry && afterStep) {
        for (const [name, left] of entry.ttl) {
          if (entry.fresh.has(name)) continue;
          if (left <= 1) entry.ttl.delete(name);
          else entry.ttl.set(name, left - 1);
        }
        entry.fresh.clear();
        if (entry.ttl.size === 0) unlocked.delete(sessionKey);
      }
      const open = unlocked.get(sessionKey)?.ttl;
      return [...all.filter((t) => !deferred.has(t) || open?.has(t.name)), ...searchTools()];
    },
  };
}
