/**
 * "Send test message" on the dashboard's Channels page: POST /api/channels/<name>/test {chat_id}
 * forwards to the gateway's `/channels/<name>/test`, which sends a fixed short text through the
 * running channel (its allow_from applies; a refusal comes back as 422 with the channel's sentence).
 * The launcher checks the name and the chat id itself, so only a well-formed request reaches the
 * gateway.
 */
import type { Router } from 'express';
import { gatewayProxy, objectBody, type GatewayProxyDeps } from './gateway-proxy.js';

export type ChannelTestRoutesDeps = GatewayProxyDeps;

export function channelTestRoutes(deps: ChannelTestRoutesDeps): Router {
  const { router, forward } = gatewayProxy(deps, '/api/channels/:name/test', 'send a test message');
  router.post('/api/channels/:name/test', async (req, res) => {
    const name = req.params.name;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) return void res.status(400).json({ error: 'a channel name is letters, digits, - and _ (as in channel_list)' });
    const body = objectBody(req, res);
    if (!body) return;
    const chatId = body.chat_id;
    if (typeof chatId !== 'string' || !chatId.trim() || chatId.length > 256) return void res.status(400).json({ error: 'chat_id must be a non-empty string: a Telegram chat id, or an MQTT device id' });
    await forward(res, `/channels/${encodeURIComponent(name)}/test`, 'POST', { chat_id: chatId.trim() }, 25_000);
  });
  return router;
}
