/**
 * Terminal commands besides `picoclaw gateway`: config, status, models and MCP. They use the same
 * loader, model registry and MCP manager as the gateway, so a test here means what it means there.
 */
import { CHALLENGE_HEADER, collectSecrets, gatewayUrl, newChallenge, proofMatches, PROOF_HEADER, createSecretMasker, effectiveMcpTransport, loadConfig, redactSecrets, resolvePaths, type GatewayStatus, type LoadedConfig } from '@picoclaw/core';
import { probeMcpServer } from '../mcp/mcp-manager.js';
import { createModelRegistry } from '../models/model-registry.js';
import { readPidFile } from '../pid-file.js';
import { defaultTimeZone, formatIn } from '../schedules/wall-clock.js';
import { tokensTodayLine } from '../usage/usage-api.js';
import type { UsageReport } from '../usage/usage-book.js';
import { styleState, withProgress, type Style } from './cli-style.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Colours for stdout (identity functions when stdout is not a terminal). */
  style: Style;
  /** Where spinners go while waiting on the network (drawn only when it is a TTY). */
  progress: { isTTY?: boolean; write(text: string): unknown };
}

export const load = (io: CliIo): Promise<LoadedConfig> => loadConfig({ env: io.env, ...(io.env.PICOCLAW_LAUNCHER_TOKEN ? { launcherToken: io.env.PICOCLAW_LAUNCHER_TOKEN } : {}) });

/** The gateway of this home (its PID file), once it proved it holds the token; undefined when none answers. */
export async function findGateway(io: CliIo): Promise<{ url: string; token: string } | undefined> {
  const info = await readPidFile(resolvePaths({ env: io.env }).home);
  if (!info) return undefined;
  const url = gatewayUrl(info);
  // The token goes only to a process that proves it holds it: while the gateway is down, another
  // local process may have taken its port (core gateway-trust.ts).
  try {
    const challenge = newChallenge();
    const response = await fetch(`${url}/ready`, { headers: { [CHALLENGE_HEADER]: challenge }, signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return proofMatches(info.token, challenge, response.headers.get(PROOF_HEADER) ?? undefined) ? { url, token: info.token } : undefined;
  } catch {
    return undefined;
  }
}

export async function configCommand(args: string[], io: CliIo): Promise<number> {
  const [sub] = args;
  const paths = resolvePaths({ env: io.env });
  if (sub === 'path') {
    io.out(paths.config);
    return 0;
  }
  if (sub === 'validate' || sub === 'show') {
    const loaded = await load(io);
    if (sub === 'show') {
      io.out(JSON.stringify(redactSecrets(loaded.config), null, 2));
      return 0;
    }
    io.out(`${loaded.paths.config}: ${io.style.ok('valid')}${loaded.exists ? '' : ' (the file does not exist: defaults)'}${loaded.migratedFrom !== undefined ? `, version ${loaded.migratedFrom} format (migrated when saved)` : ''}`);
    // A config without a usable model is valid all the same: the loader's warnings say so.
    for (const warning of loaded.warnings) io.out(`  warning: ${warning}`);
    return 0;
  }
  io.err('usage: picoclaw config path|validate|show');
  return 2;
}

export async function statusCommand(io: CliIo, args: string[] = []): Promise<number> {
  const json = args.includes('--json');
  const gateway = await withProgress(io.progress, 'looking for the gateway', () => findGateway(io));
  if (!gateway) {
    io.out(json ? JSON.stringify({ running: false }) : 'gateway: not running (no live gateway in the PID file of this home)');
    return 1;
  }
  const status = (await (await fetch(`${gateway.url}/status`, { headers: { authorization: `Bearer ${gateway.token}` }, signal: AbortSignal.timeout(10_000) })).json()) as GatewayStatus;
  if (json) {
    io.out(JSON.stringify({ running: true, url: gateway.url, ...status }, null, 2));
    return status.ready === 'ready' ? 0 : 1;
  }
  const st = (state: string) => styleState(io.style, state);
  io.out(`gateway ${status.version}: ${st(status.ready)}, up ${status.uptime_s} s, pid ${status.pid}, ${gateway.url}`);
  io.out(`config: ${status.config.path}`);
  for (const warning of status.config.warnings) io.out(`  warning: ${warning}`);
  const cluster = status.cluster;
  if (cluster?.store === 'redis') {
    io.out(`cluster: ${cluster.members.length} gateway${cluster.members.length === 1 ? '' : 's'} sharing sessions in ${cluster.redis?.url ?? 'Redis'} (${st(cluster.redis?.connected ? 'connected' : 'disconnected')}); this one is ${cluster.member}`);
    for (const [lease, member] of Object.entries(cluster.leaders)) io.out(`  leader of ${lease}: ${member === cluster.member ? 'this gateway' : member}`);
  }
  for (const c of status.channels) io.out(`channel ${c.name} (${c.type}): ${st(c.state)}${c.detail ? `, ${c.detail}` : ''}${c.lastError ? ` — ${c.lastError}` : ''}`);
  for (const m of status.mcp.servers) io.out(`mcp ${m.name}: ${st(m.state)}, ${m.tools.length} tools${m.lastError ? ` — ${m.lastError}` : ''}${m.hint ? `\n  hint: ${m.hint}` : ''}`);
  for (const m of status.models.list) io.out(`model ${m.name} (${m.model}) ${m.role}: ${m.problem ?? st(m.state)}${m.lastError ? ` — ${m.lastError}` : ''}`);
  if (status.models.problem) io.out(`model: ${io.style.bad('none can answer')} — ${status.models.problem}`);
  // An older gateway has no /usage: the line is simply left out.
  const usage = await fetch(`${gateway.url}/usage?days=1`, { headers: { authorization: `Bearer ${gateway.token}` }, signal: AbortSignal.timeout(10_000) })
    .then(async (r) => (r.ok ? ((await r.json()) as UsageReport) : undefined), () => undefined);
  if (usage) io.out(tokensTodayLine(usage));
  const schedules = status.schedules;
  if (schedules) {
    // Times on this machine's clock, like the rest of a terminal (a gateway elsewhere: say TZ=…).
    const tz = defaultTimeZone();
    const when = (iso: string) => formatIn(Date.parse(iso), tz).slice(0, 16);
    const runBy = schedules.runner ? '' : ', run by another gateway of the cluster';
    io.out(`schedules: ${schedules.jobs} job${schedules.jobs === 1 ? '' : 's'}, ${schedules.enabled} enabled${runBy}${schedules.paused ? ` — ${io.style.warn('paused')}: ${schedules.paused}` : ''}`);
    if (schedules.next.length) io.out(`  next runs (${tz}):`);
    for (const n of schedules.next) io.out(`    ${when(n.at)}  ${n.name} (${n.id})`);
    for (const f of schedules.failing) io.out(`  ${io.style.bad('failed')} ${when(f.at)}  ${f.name} (${f.id}): ${f.error}`);
  }
  return status.ready === 'ready' ? 0 : 1;
}

export async function modelsCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, name] = args;
  const loaded = await load(io);
  const registry = createModelRegistry(loaded.config);
  const d = loaded.config.agents.defaults;
  if (sub === 'list' || sub === undefined || sub === '--json') {
    if (args.includes('--json')) {
      io.out(JSON.stringify({ primary: d.model_name, fallbacks: d.model_fallbacks, models: registry.list() }, null, 2));
      return 0;
    }
    for (const m of registry.list()) {
      const role = m.name === d.model_name ? 'primary' : d.model_fallbacks.includes(m.name) ? `fallback ${d.model_fallbacks.indexOf(m.name) + 1}` : '';
      io.out(`${m.name.padEnd(20)} ${m.model.padEnd(40)} ${role.padEnd(11)} ${m.problem ?? `${m.keys} key${m.keys === 1 ? '' : 's'}`}`);
    }
    return 0;
  }
  if (sub === 'test' && name) {
    if (!registry.has(name)) {
      io.err(`no enabled model named "${name}" (models: ${registry.list().map((m) => m.name).join(', ') || 'none'})`);
      return 2;
    }
    const masker = createSecretMasker();
    masker.add(...collectSecrets(loaded.config));
    const started = Date.now();
    try {
      const reply = await withProgress(io.progress, `asking ${name}`, async () => {
        let text = '';
        for await (const e of registry.chain(name).candidates[0]!.stream({ messages: [{ role: 'user', content: 'Reply with the single word: pong' }], tools: [], maxTokens: 16, temperature: 0 }, AbortSignal.timeout(30_000))) {
          if (e.type === 'text-delta') text += e.text;
        }
        return text;
      });
      io.out(`${name}: ${io.style.ok('answered')} in ${Date.now() - started} ms: ${JSON.stringify(reply.slice(0, 80))}`);
      return 0;
    } catch (error) {
      io.out(`${name}: ${io.style.bad('failed')} after ${Date.now() - started} ms: ${masker.mask((error as Error).message)}`);
      return 1;
    }
  }
  io.err('usage: picoclaw models list | picoclaw models test <model_name>');
  return 2;
}

export async function mcpCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, name] = args;
  const loaded = await load(io);
  const servers = loaded.config.tools.mcp.servers;
  if (sub === 'list' || sub === undefined || sub === '--json') {
    if (args.includes('--json')) {
      // Header names and env keys only, never their values.
      const list = Object.entries(servers).map(([n, s]) => ({ name: n, transport: effectiveMcpTransport(s) ?? null, target: s.url || [s.command, ...s.args].join(' '), enabled: s.enabled, headers: Object.keys(s.headers), env: Object.keys(s.env) }));
      io.out(JSON.stringify({ enabled: loaded.config.tools.mcp.enabled, servers: list }, null, 2));
      return 0;
    }
    if (!Object.keys(servers).length) io.out('no MCP servers configured (tools.mcp.servers)');
    for (const [n, s] of Object.entries(servers)) io.out(`${n.padEnd(16)} ${(effectiveMcpTransport(s) ?? '?').padEnd(6)} ${s.url || [s.command, ...s.args].join(' ')}${s.enabled ? '' : ' (disabled)'}`);
    if (!loaded.config.tools.mcp.enabled && Object.keys(servers).length) io.out('note: tools.mcp.enabled is false, so the gateway does not use them');
    return 0;
  }
  if (sub === 'test' && name) {
    const server = servers[name];
    if (!server) {
      io.err(`no MCP server named "${name}" (servers: ${Object.keys(servers).join(', ') || 'none'})`);
      return 2;
    }
    const started = Date.now();
    const status = await withProgress(io.progress, `connecting to ${name}`, () => probeMcpServer(name, server, { home: loaded.paths.home, workspace: loaded.config.agents.defaults.workspace }));
    if (status.state === 'connected') {
      io.out(`${name}: ${io.style.ok('connected')} in ${Date.now() - started} ms, ${status.tools.length} tools: ${status.tools.map((t) => t.tool).join(', ')}`);
      return 0;
    }
    io.out(`${name}: ${io.style.bad('failed')}: ${status.lastError ?? 'no answer'}${status.hint ? `\n  hint: ${status.hint}` : ''}`);
    return 1;
  }
  io.err('usage: picoclaw mcp list | picoclaw mcp test <server>');
  return 2;
}
