/**
 * The gateway's `/channels` API (gateway token required), for the dashboard's "Send test message":
 *   POST /channels/<name>/test  {chat_id}  sends a short fixed text through the running channel's
 *                                          own `send`, so its checks apply (Telegram and MQTT:
 *                                          allow_from; a stopped or failed channel says so).
 *   GET  /channels/<name>/refused          who the running channel refused lately (Telegram: id,
 *                                          username, first name, time; newest first, at most 10,
 *                                          memory only), for the dashboard's "find my user id".
 * The text is fixed on purpose: this is a check that the channel delivers, not a way to send
 * arbitrary messages. A refusal comes back as 422 with the channel's own sentence.
 */
import type { FeatureApi } from '../http/feature-api.js';
import type { ChannelManager } from './channel-manager.js';

export const TEST_MESSAGE = 'Test message from the PicoClaw dashboard: this channel delivers.';
const TYPES = new Set(['telegram', 'mqtt']);
const SEND_TIMEOUT_MS = 20_000;

export function channelsApi(channels: () => Pick<ChannelManager, 'send' | 'status' | 'refusedSenders'> | undefined): FeatureApi {
  return {
    bodies: ['POST'],
    maxBody: 4096,
    async handle(method, path, _query, body) {
      const match = /^\/([^/]+)\/(test|refused)$/.exec(path);
      if (!match) return { status: 404, body: { error: `no route ${method} /channels${path}` } };
      const wanted = match[2] === 'test' ? 'POST' : 'GET';
      if (method !== wanted) return { status: 405, body: { error: `method not allowed, use ${wanted}` } };
      let name: string;
      try {
        name = decodeURIComponent(match[1]!);
      } catch {
        return { status: 400, body: { error: 'the channel name is not valid in a URL' } };
      }
      if (match[2] === 'refused') {
        const refused = channels()?.refusedSenders(name);
        if (!refused) return { status: 404, body: { error: `no running channel named "${name}" (is it enabled in channel_list?)` } };
        return { status: 200, body: { channel: name, refused } };
      }
      const chatId = (body as { chat_id?: unknown } | undefined)?.chat_id;
      if (typeof chatId !== 'string' || !chatId.trim() || chatId.length > 256) return { status: 400, body: { error: 'chat_id must be a non-empty string (a Telegram chat id, or an MQTT device id)' } };
      const manager = channels();
      const status = manager?.status().find((c) => c.name === name);
      if (!manager || !status) return { status: 404, body: { error: `no channel named "${name}" in channel_list` } };
      if (!TYPES.has(status.type)) return { status: 400, body: { error: `a test message goes through a Telegram or MQTT channel; ${name} is ${status.type}` } };
      try {
        await manager.send(name, chatId.trim(), TEST_MESSAGE, AbortSignal.timeout(SEND_TIMEOUT_MS));
        return { status: 200, body: { status: 'sent', channel: name, chat_id: chatId.trim() } };
      } catch (error) {
        return { status: 422, body: { error: (error as Error).message } };
      }
    },
  };
}
