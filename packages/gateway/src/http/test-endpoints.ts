/**
 * The "test" buttons of the dashboard and the CLI, on the gateway's control API: one tiny prompt
 * to one model (no fallbacks), one connection to an MCP server config that need not be saved, one
 * call of a connected server's tool. Each answers `ok: true` with what happened, or `ok: false`
 * for a request that names nothing usable.
 */
import { mcpServerSchema } from '@picoclaw/core';
import { probeMcpServer, type McpManager } from '../mcp/mcp-manager.js';
import type { ModelRegistry } from '../models/model-registry.js';

type Answer = Promise<{ ok: boolean; body: unknown }>;

export interface TestEndpointsDeps {
  models(): ModelRegistry;
  mcp(): McpManager | undefined;
  /** PicoClaw's home (stdio servers start there). */
  home: string;
  workspace(): string;
}

export function testEndpoints(deps: TestEndpointsDeps): { testModel(body: unknown): Answer; testMcp(body: unknown): Answer; callMcp(server: string, body: unknown): Answer } {
  return {
    async testModel(body) {
      const name = (body as { model?: unknown }).model;
      const models = deps.models();
      if (typeof name !== 'string' || !models.has(name)) return { ok: false, body: { error: `no enabled model named ${JSON.stringify(name)} in model_list` } };
      const candidate = models.chain(name).candidates[0]!;
      const started = Date.now();
      let reply = '';
      try {
        for await (const event of candidate.stream({ messages: [{ role: 'user', content: 'Reply with the single word: pong' }], tools: [], maxTokens: 16, temperature: 0 }, AbortSignal.timeout(30_000))) {
          if (event.type === 'text-delta') reply += event.text;
        }
        return { ok: true, body: { ok: true, model: name, latency_ms: Date.now() - started, reply: reply.slice(0, 200) } };
      } catch (error) {
        return { ok: true, body: { ok: false, model: name, latency_ms: Date.now() - started, error: (error as Error).message } };
      }
    },
    async testMcp(body) {
      const parsed = mcpServerSchema.safeParse((body as { server?: unknown }).server);
      if (!parsed.success) return { ok: false, body: { error: 'invalid server', issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) } };
      const status = await probeMcpServer('test', parsed.data, { home: deps.home, workspace: deps.workspace() });
      const connected = status.state === 'connected';
      return {
        ok: true,
        body: {
          ok: connected,
          tools: status.tools.map((t) => ({ tool: t.tool, description: t.description })),
          ...(connected ? {} : { error: status.lastError ?? 'no answer', ...(status.hint ? { hint: status.hint } : {}) }),
        },
      };
    },
    async callMcp(server, body) {
      const { tool, arguments: args } = (body ?? {}) as { tool?: unknown; arguments?: unknown };
      const found = deps.mcp()?.list().find((t) => t.source === `mcp:${server}` && ((t as { original?: string }).original === tool || t.name === tool));
      if (!found) return { ok: false, body: { error: `no tool ${JSON.stringify(tool)} on a connected MCP server named "${server}"` } };
      const started = Date.now();
      const result = await found.execute((args && typeof args === 'object' ? args : {}) as Record<string, unknown>, {
        signal: AbortSignal.timeout(60_000), sessionKey: 'dashboard:test', channel: 'dashboard', chatId: 'test', workspace: deps.workspace(),
      });
      return { ok: true, body: { ok: !result.isError, latency_ms: Date.now() - started, result: result.content.slice(0, 4000) } };
    },
  };
}
