/**
 * The checks of the dashboard's first-run wizard ("Guided setup"), each one real connection made
 * before anything is saved, answered as `{ok: true, …}` or `{ok: false, error}` with a sentence a
 * person can act on:
 *   POST /api/setup/telegram/check {token?}            Telegram's getMe with the bot token (the
 *        stored token when none is sent); the Bot API base is channel_list.<telegram>.settings.base_url
 *        when set. Answers the bot's @username and id.
 *   POST /api/setup/mqtt/check {broker, username?, password?}  one MQTT connect (CONNACK) to the broker,
 *        then a clean disconnect; the stored username and password are used when none are sent and
 *        the broker is the stored one.
 *   GET  /api/channels/<name>/refused                   who the running Telegram channel refused lately
 *        (the gateway's channels API): the wizard's "find my user id".
 * Home Assistant's check is the existing POST /api/mcp/test (the gateway's MCP client).
 *
 * Mounted behind the launcher's auth gate like every /api route. A secret sent here is used for
 * that one connection only: never stored, logged or returned, and scrubbed from any error text.
 */
import { loadConfig } from '@picoclaw/core';
import type { Router } from 'express';
import { gatewayProxy, objectBody, type GatewayProxyDeps } from './gateway-proxy.js';

export interface SetupRoutesDeps extends GatewayProxyDeps {
  configPath: string;
  home: string;
  /** How long a check waits for the other side (default 10 s). */
  timeoutMs?: number;
}

const TELEGRAM_API = 'https://api.telegram.org';
/** A Bot API token as @BotFather gives it: `<bot id>:<secret>`. */
const TOKEN = /^\d{1,20}:[A-Za-z0-9_-]{1,100}$/;
const BROKER_SCHEMES = ['tcp', 'ssl', 'tls', 'mqtt', 'mqtts', 'ws', 'wss'];

type Settings = Record<string, unknown>;
interface StoredChannel { type?: string; settings?: Settings }

/** The network error's code (ECONNREFUSED…), wherever fetch or mqtt.js put it. */
function errorCode(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown; errors?: { code?: unknown }[] }; errors?: { code?: unknown }[] };
  const code = e.cause?.code ?? e.code ?? e.cause?.errors?.[0]?.code ?? e.errors?.[0]?.code;
  return typeof code === 'string' ? code : '';
}

/** Why a connection to `where` failed, in words (no secret can be in it: only codes and the address). */
export function networkSentence(error: unknown, where: string, timeoutMs: number): string {
  const code = errorCode(error);
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return `no answer from ${where} within ${Math.round(timeoutMs / 1000)} s: check the address and that this machine can reach it`;
  if (code === 'ECONNREFUSED') return `nothing is listening at ${where} (connection refused): check the address and port. If PicoClaw runs in a container, it needs the host network (--network=host) to reach services on the host`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name of ${where} does not resolve from this machine: check its spelling, or use the IP address`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${where} is not reachable from this machine (${code}): check the network`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `${where} closed the connection: check the port and whether it expects TLS`;
  if (/^(ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/.test(code)) return `the TLS handshake with ${where} failed (${code})`;
  return `could not reach ${where}${code ? ` (${code})` : ''}`;
}

export function setupRoutes(deps: SetupRoutesDeps): Router {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const { router, forward } = gatewayProxy(deps, '/api/channels/:name/refused', 'see who wrote to the bot');
  /** The stored channel entries (secrets merged from .security.yml); none when config.json is unreadable. */
  const storedChannels = async (): Promise<[string, StoredChannel][]> => {
    try {
      const { document } = await loadConfig({ configPath: deps.configPath, home: deps.home, env: {} });
      return Object.entries(document.channel_list as Record<string, StoredChannel>);
    } catch {
      return [];
    }
  };
  /** The named channel, else the first of that type. */
  const stored = async (type: string, name?: string) => {
    const list = await storedChannels();
    return (list.find(([n, c]) => n === name && c.type === type) ?? list.find(([n, c]) => n === type && c.type === type) ?? list.find(([, c]) => c.type === type))?.[1]?.settings ?? {};
  };
  /** Aborted when the check takes too long or the browser goes away. */
  const signalFor = (res: { on(event: 'close', f: () => void): unknown; writableFinished: boolean }) => {
    const controller = new AbortController();
    // The response closes unfinished only when the browser went away (req's 'close' fires once the body is read).
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('the browser went away'));
    });
    return AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)]);
  };

  router.get('/api/channels/:name/refused', async (req, res) => {
    const name = req.params.name;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) return void res.status(400).json({ error: 'a channel name is letters, digits, - and _ (as in channel_list)' });
    await forward(res, `/channels/${encodeURIComponent(name)}/refused`, 'GET', undefined, 10_000);
  });

  router.post('/api/setup/telegram/check', async (req, res) => {
    const body = objectBody(req, res);
    if (!body) return;
    const channel = typeof body.channel === 'string' ? body.channel : undefined;
    const settings = await stored('telegram', channel);
    const sent = typeof body.token === 'string' ? body.token.trim() : '';
    const token = sent || (typeof settings.token === 'string' ? settings.token : '');
    if (!token) return void res.status(400).json({ error: 'paste the bot token @BotFather gave you (it looks like 123456789:AAE…)' });
    if (!TOKEN.test(token)) return void res.status(400).json({ error: sent ? 'this is not a bot token: @BotFather gives one like 123456789:AAEhBP0av… (digits, a colon, then letters, digits, - and _)' : 'the stored bot token is not a plain token (a reference?): paste the token to check it' });
    const base = (typeof settings.base_url === 'string' && settings.base_url ? settings.base_url : TELEGRAM_API).replace(/\/+$/, '');
    let where: string;
    try {
      where = new URL(base).host;
    } catch {
      return void res.json({ ok: false, error: `channel_list.telegram.settings.base_url is not a URL: ${base.slice(0, 100)}` });
    }
    const scrub = (text: string) => text.replaceAll(token, '<token>');
    try {
      const response = await fetch(`${base}/bot${token}/getMe`, { method: 'POST', signal: signalFor(res), redirect: 'error' });
      const answer = (await response.json().catch(() => ({}))) as { ok?: boolean; result?: { id?: number; username?: string; first_name?: string }; description?: string };
      if (response.status === 401 || response.status === 404) {
        return void res.json({ ok: false, error: 'Telegram rejected this token (401 Unauthorized): copy it again from @BotFather (/mybots → your bot → API Token), or revoke it there and use the new one' });
      }
      if (!response.ok || !answer.ok || !answer.result) {
        return void res.json({ ok: false, error: scrub(`Telegram answered HTTP ${response.status}${answer.description ? `: ${String(answer.description).slice(0, 200)}` : ''}`) });
      }
      res.json({ ok: true, id: answer.result.id, username: answer.result.username ?? '', first_name: answer.result.first_name ?? '' });
    } catch (error) {
      res.json({ ok: false, error: scrub(`${networkSentence(error, where, timeoutMs)}. Telegram's Bot API must be reachable from this machine`) });
    }
  });

  router.post('/api/setup/mqtt/check', async (req, res) => {
    const body = objectBody(req, res);
    if (!body) return;
    const broker = typeof body.broker === 'string' ? body.broker.trim() : '';
    let url: URL;
    try {
      url = new URL(broker);
    } catch {
      return void res.status(400).json({ error: 'the broker must be a URL such as tcp://192.168.1.10:1883 or ssl://broker:8883' });
    }
    const scheme = url.protocol.replace(/:$/, '');
    if (!BROKER_SCHEMES.includes(scheme) || !url.hostname || broker.length > 512) return void res.status(400).json({ error: `the broker must be a URL such as tcp://192.168.1.10:1883 (schemes: ${BROKER_SCHEMES.join(', ')})` });
    const field = (key: 'username' | 'password') => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
    if ((field('username')?.length ?? 0) > 256 || (field('password')?.length ?? 0) > 1024) return void res.status(400).json({ error: 'the username or password is too long' });
    // A stored username and password go only to the broker they were stored for.
    const settings = await stored('mqtt', typeof body.channel === 'string' ? body.channel : undefined);
    const same = typeof settings.broker === 'string' && settings.broker.trim() === broker;
    const username = field('username') || (same && typeof settings.username === 'string' ? settings.username : '');
    const password = field('password') || (same && typeof settings.password === 'string' ? settings.password : '');
    const mapped = ({ tcp: 'mqtt', ssl: 'mqtts', tls: 'mqtts' } as Record<string, string>)[scheme] ?? scheme;
    const where = url.host;
    const scrub = (text: string) => [username, password].filter((s) => s.length >= 3).reduce((t, s) => t.replaceAll(s, '<secret>'), text);
    const signal = signalFor(res);
    let mqtt: typeof import('mqtt');
    try {
      // Loaded for this check only: the launcher does not pay for it at start-up.
      const lib = await import('mqtt');
      mqtt = (lib as unknown as { default?: typeof import('mqtt') }).default?.connect ? (lib as unknown as { default: typeof import('mqtt') }).default : lib;
    } catch (error) {
      return void res.status(500).json({ error: `the MQTT library could not be loaded: ${(error as Error).message}` });
    }
    const outcome = await new Promise<{ ok: true } | { ok: false; error: string }>((resolve) => {
      const client = mqtt.connect(`${mapped}://${url.host}${url.pathname === '/' ? '' : url.pathname}`, {
        clientId: `picoclaw-setup-check-${Math.random().toString(16).slice(2, 10)}`,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: timeoutMs,
        // As the channel's default (tls_verify off): this checks that the broker answers and takes the credentials.
        rejectUnauthorized: false,
        ...(username ? { username } : {}),
        ...(password ? { password } : {}),
      });
      let settled = false;
      const done = (result: { ok: true } | { ok: false; error: string }) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        client.end(true);
        resolve(result);
      };
      const onAbort = () => done({ ok: false, error: networkSentence(signal.reason, where, timeoutMs) });
      signal.addEventListener('abort', onAbort, { once: true });
      client.once('connect', () => done({ ok: true }));
      client.once('error', (error: Error & { code?: unknown }) => {
        const code = typeof error.code === 'number' ? error.code : undefined;
        // mosquitto says 5 (not authorized) for a wrong password as well as 4: one sentence for both.
        if (code === 4 || code === 5 || code === 134 || code === 135) {
          done({ ok: false, error: username ? `the broker at ${where} refused the username or password` : `the broker at ${where} wants a username and password (it refused a connection without them)` });
        }
        else if (code !== undefined) done({ ok: false, error: `the broker at ${where} refused the connection (CONNACK code ${code}: ${error.message.slice(0, 120)})` });
        else done({ ok: false, error: networkSentence(error, where, timeoutMs) });
      });
      client.once('close', () => done({ ok: false, error: `the broker at ${where} closed the connection before accepting it: check the scheme (tcp:// or ssl://) and port` }));
    });
    res.json(outcome.ok ? { ok: true, broker: `${url.protocol}//${where}` } : { ok: false, error: scrub(outcome.error) });
  });

  return router;
}
