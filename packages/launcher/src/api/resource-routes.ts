/**
 * Focused endpoints the dashboard uses instead of editing the whole document: models (add, edit,
 * remove, primary and fallback order, test), channels, MCP servers (add Home Assistant by URL and
 * token, test, call a tool), built-in tools and the heartbeat. Each change goes through the same
 * pipeline as PUT /api/config: validated, secrets kept, saved atomically, gateway reloaded.
 */
import { Router, type Response } from 'express';
import { ConfigError, loadConfig, redactSecrets, restoreSecrets, saveConfig, SECRET_PLACEHOLDER, type Config } from '@picoclaw/core';

export interface ResourceRouteDeps {
  configPath: string;
  home: string;
  launcherToken(): string;
  reloadGateway(): Promise<unknown>;
  /** Runs config writes (read, save, reload) one at a time. */
  serializeConfigWrite(task: () => Promise<void>): Promise<void>;
  /** A control call to the gateway (undefined body when it is not running). */
  gateway(path: string, body?: unknown): Promise<unknown>;
  gatewayRunning(): boolean;
}

type Doc = Config & Record<string, unknown>;
const toolNames = ['read_file', 'write_file', 'edit_file', 'append_file', 'list_dir', 'send_file', 'web_fetch', 'exec', 'web'] as const;

export function resourceRoutes(deps: ResourceRouteDeps): Router {
  const router = Router();
  const loadWithMeta = () => loadConfig({ configPath: deps.configPath, home: deps.home, env: {} });
  const load = async () => (await loadWithMeta()).document as Doc;

  /** Applies a change to the stored document; answers 400 with key paths when it is invalid. */
  function mutate(res: Response, change: (doc: Doc) => string | undefined): Promise<void> {
    // Read-modify-write: two at once would lose one change without the queue.
    return deps.serializeConfigWrite(() => mutateNow(res, change));
  }

  async function mutateNow(res: Response, change: (doc: Doc) => string | undefined): Promise<void> {
    let stored: Doc;
    let migrated: boolean;
    try {
      const loaded = await loadWithMeta();
      stored = loaded.document as Doc;
      migrated = loaded.migratedFrom !== undefined;
    } catch (error) {
      res.status(409).json({ error: `fix config.json first: ${(error as Error).message}` });
      return;
    }
    // Changes apply to the redacted document, so a stored secret reaches the new one only through
    // restoreSecrets, which refuses to carry it to a changed endpoint.
    const doc = redactSecrets(stored);
    const problem = change(doc);
    if (problem) {
      res.status(problem.startsWith('no ') ? 404 : 400).json({ error: problem });
      return;
    }
    try {
      await saveConfig(restoreSecrets(doc, stored), { configPath: deps.configPath, launcherToken: deps.launcherToken(), env: process.env, backup: migrated });
    } catch (error) {
      if (error instanceof ConfigError) {
        res.status(400).json({ error: 'invalid; nothing was written', issues: error.issues });
        return;
      }
      throw error;
    }
    const reload = await deps.reloadGateway().catch((error: Error) => ({ error: error.message }));
    res.json({ status: 'saved', reload: reload ?? { status: 'gateway not running' } });
  }

  const gatewayStatus = async () =>
    deps.gatewayRunning() ? ((await deps.gateway('/status').catch(() => undefined)) as { models?: { list: unknown[] }; channels?: unknown[]; mcp?: { servers: unknown[] }; tools?: unknown[] } | undefined) : undefined;

  // ── models ──
  router.get('/api/models', async (_req, res) => {
    const doc = await load();
    const live = await gatewayStatus();
    res.json({
      primary: doc.agents.defaults.model_name,
      fallbacks: doc.agents.defaults.model_fallbacks,
      models: redactSecrets(doc).model_list,
      ...(live?.models ? { status: live.models.list } : {}),
    });
  });
  router.post('/api/models', (req, res) =>
    mutate(res, (doc) => {
      const entry = req.body as { model_name?: unknown };
      if (!entry || typeof entry.model_name !== 'string') return 'send a model_list entry with model_name and model';
      if (doc.model_list.some((m) => m.model_name === entry.model_name)) return `a model named "${entry.model_name}" exists; edit it instead`;
      doc.model_list.push(entry as Config['model_list'][number]);
      if (!doc.agents.defaults.model_name) doc.agents.defaults.model_name = entry.model_name;
      return undefined;
    }),
  );
  router.put('/api/models/:name', (req, res) =>
    mutate(res, (doc) => {
      const i = doc.model_list.findIndex((m) => m.model_name === req.params.name);
      if (i < 0) return `no model named "${req.params.name}"`;
      const next = { ...doc.model_list[i]!, ...(req.body as object) } as Config['model_list'][number];
      // A rename carries the references along.
      if (next.model_name !== req.params.name) {
        const d = doc.agents.defaults;
        if (d.model_name === req.params.name) d.model_name = next.model_name;
        d.model_fallbacks = d.model_fallbacks.map((f) => (f === req.params.name ? next.model_name : f));
      }
      doc.model_list[i] = next;
      return undefined;
    }),
  );
  router.delete('/api/models/:name', (req, res) =>
    mutate(res, (doc) => {
      if (!doc.model_list.some((m) => m.model_name === req.params.name)) return `no model named "${req.params.name}"`;
      doc.model_list = doc.model_list.filter((m) => m.model_name !== req.params.name);
      const d = doc.agents.defaults;
      d.model_fallbacks = d.model_fallbacks.filter((f) => f !== req.params.name);
      if (d.model_name === req.params.name) d.model_name = d.model_fallbacks.shift() ?? doc.model_list[0]?.model_name ?? '';
      return undefined;
    }),
  );
  router.put('/api/models-order', (req, res) =>
    mutate(res, (doc) => {
      const { primary, fallbacks } = (req.body ?? {}) as { primary?: unknown; fallbacks?: unknown };
      if (typeof primary !== 'string' || !Array.isArray(fallbacks) || fallbacks.some((f) => typeof f !== 'string')) return 'send {"primary": "<name>", "fallbacks": ["<name>", …]}';
      doc.agents.defaults.model_name = primary;
      doc.agents.defaults.model_fallbacks = (fallbacks as string[]).filter((f) => f !== primary);
      return undefined;
    }),
  );
  router.post('/api/models/:name/test', async (req, res) => {
    if (!deps.gatewayRunning()) return void res.status(503).json({ error: 'the gateway is not running; start it to test models' });
    res.json(await deps.gateway('/models/test', { model: req.params.name }));
  });

  // ── channels ──
  router.get('/api/channels', async (_req, res) => {
    const doc = await load();
    const live = await gatewayStatus();
    res.json({ channels: redactSecrets(doc).channel_list, ...(live?.channels ? { status: live.channels } : {}) });
  });
  router.put('/api/channels/:name', (req, res) =>
    mutate(res, (doc) => {
      const body = req.body as Record<string, unknown>;
      if (!body || typeof body !== 'object') return 'send a channel entry';
      const current = (doc.channel_list as Record<string, Record<string, unknown>>)[req.params.name] ?? { type: body.type ?? req.params.name };
      const settings = { ...(current.settings as object), ...(body.settings as object) };
      (doc.channel_list as Record<string, unknown>)[req.params.name] = { ...current, ...body, settings };
      return undefined;
    }),
  );

  // ── MCP servers ──
  router.get('/api/mcp', async (_req, res) => {
    const doc = await load();
    const live = await gatewayStatus();
    res.json({ enabled: doc.tools.mcp.enabled, servers: redactSecrets(doc).tools.mcp.servers, ...(live?.mcp ? { status: live.mcp.servers } : {}) });
  });
  /** Home Assistant in one step: `{name, url, token}` (or a full server entry as `server`). */
  const serverFrom = (body: Record<string, unknown>) =>
    body.server && typeof body.server === 'object'
      ? (body.server as Record<string, unknown>)
      : { type: 'http', url: body.url, ...(typeof body.token === 'string' && body.token ? { headers: { Authorization: body.token === SECRET_PLACEHOLDER ? body.token : `Bearer ${body.token.replace(/^Bearer\s+/i, '')}` } } : {}) };
  router.put('/api/mcp/:name', (req, res) =>
    mutate(res, (doc) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      doc.tools.mcp.servers[req.params.name] = serverFrom(body) as Config['tools']['mcp']['servers'][string];
      doc.tools.mcp.enabled = true;
      return undefined;
    }),
  );
  router.delete('/api/mcp/:name', (req, res) =>
    mutate(res, (doc) => {
      if (!doc.tools.mcp.servers[req.params.name]) return `no MCP server named "${req.params.name}"`;
      delete doc.tools.mcp.servers[req.params.name];
      return undefined;
    }),
  );
  router.post('/api/mcp/test', async (req, res) => {
    if (!deps.gatewayRunning()) return void res.status(503).json({ error: 'the gateway is not running; start it to test MCP servers' });
    const server = serverFrom((req.body ?? {}) as Record<string, unknown>);
    // A redacted header sent back means "the stored one".
    const name = typeof (req.body as { name?: unknown }).name === 'string' ? (req.body as { name: string }).name : undefined;
    const stored = name ? (await load()).tools.mcp.servers[name] : undefined;
    let restored = server;
    try {
      if (stored) restored = restoreSecrets({ tools: { mcp: { servers: { [name!]: server } } } }, { tools: { mcp: { servers: { [name!]: stored } } } }).tools.mcp.servers[name!]!;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return void res.status(400).json({ error: error.issues[0]?.message ?? error.message, issues: error.issues });
    }
    res.json(await deps.gateway('/mcp/test', { server: restored }));
  });
  router.post('/api/mcp/:name/call', async (req, res) => {
    if (!deps.gatewayRunning()) return void res.status(503).json({ error: 'the gateway is not running' });
    res.json(await deps.gateway(`/mcp/${encodeURIComponent(req.params.name)}/call`, req.body ?? {}));
  });

  // ── built-in tools ──
  router.get('/api/tools', async (_req, res) => {
    const doc = await load();
    const live = await gatewayStatus();
    res.json({
      tools: toolNames.map((name) => ({ name, enabled: (doc.tools[name] as { enabled: boolean }).enabled })),
      mcp: doc.tools.mcp.enabled,
      ...(live?.tools ? { active: live.tools } : {}),
    });
  });
  router.put('/api/tools/:name', (req, res) =>
    mutate(res, (doc) => {
      const name = req.params.name as (typeof toolNames)[number] | 'mcp';
      const enabled = (req.body as { enabled?: unknown } | undefined)?.enabled;
      if (typeof enabled !== 'boolean') return 'send {"enabled": true|false}';
      if (name === 'mcp') doc.tools.mcp.enabled = enabled;
      else if ((toolNames as readonly string[]).includes(name)) (doc.tools[name] as { enabled: boolean }).enabled = enabled;
      else return `no tool named "${name}" (tools: ${toolNames.join(', ')}, mcp)`;
      return undefined;
    }),
  );

  // ── heartbeat ──
  // The four settings of the heartbeat block; formats ("HH:MM-HH:MM", "<channel>:<chat>") are the
  // schema's to judge. The interval is checked here: the schema raises a short one to 5 silently.
  router.put('/api/heartbeat', (req, res) =>
    mutate(res, (doc) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const extra = Object.keys(body).filter((key) => !['enabled', 'interval', 'active_hours', 'target'].includes(key));
      if (Array.isArray(body) || extra.length > 0) return `send {"enabled", "interval", "active_hours", "target"}; not ${extra.map((k) => JSON.stringify(k)).join(', ') || 'a list'}`;
      const { enabled, interval, active_hours: hours, target } = body;
      if (enabled !== undefined && typeof enabled !== 'boolean') return 'heartbeat.enabled must be true or false';
      if (interval !== undefined && !(Number.isInteger(interval) && (interval as number) >= 5 && (interval as number) <= 10_080)) return 'heartbeat.interval must be a whole number of minutes from 5 to 10080 (a week)';
      if (hours !== undefined && typeof hours !== 'string') return 'heartbeat.active_hours must be text like "08:00-22:00", or "" for all day';
      if (target !== undefined && typeof target !== 'string') return 'heartbeat.target must be text like "telegram:123456789", or "" for the last chat that wrote';
      doc.heartbeat = {
        ...doc.heartbeat,
        ...(enabled !== undefined ? { enabled } : {}),
        ...(interval !== undefined ? { interval: interval as number } : {}),
        ...(hours !== undefined ? { active_hours: hours.trim() } : {}),
        ...(target !== undefined ? { target: target.trim() } : {}),
      };
      return undefined;
    }),
  );

  return router;
}
