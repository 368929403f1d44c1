/**
 * One in-process gateway with its Telegram channel on a fake Bot API and its model on the fake
 * LLM (echoing once its script is used up), for the Telegram media tests (voice notes, voice
 * replies, files, photos): user
 * 42 is the only one allowed. Extra models, config and .security.yml entries come from the test.
 */
import { join } from 'node:path';
import { startFakeLlm, startFakeTelegram, type FakeLlm, type FakeTelegram, type FakeTurn } from '@picoclaw/test-fakes';
import { startTestGateway, type TestGateway } from './start-test-gateway.js';

export interface TelegramHarness {
  tg: FakeTelegram;
  llm: FakeLlm;
  gw: TestGateway;
  /** The gateway's workspace (`<home>/workspace`). */
  workspace: string;
  /** Polls `check` every 20 ms until it gives something truthy; on time-out names the Bot API calls made. */
  until<T>(check: () => T | undefined | false, ms?: number): Promise<T>;
  /** Texts the bot sent or edited, in order. */
  texts(): string[];
  /** The last user message's content of each model request (a string, or parts with images). */
  userMessages(): unknown[];
  /** Every tool result the model was given. */
  toolResults(): string[];
  /** Everything the bot wrote to Telegram and logged: secrets must be in none of it. */
  everything(): string;
  close(): Promise<void>;
}

export async function startTelegramHarness(options: {
  /** The fake LLM's script (it echoes "you said: …" once the script is used up). */
  turns?: FakeTurn[];
  /** Added to agents.defaults (model_name is `m`). */
  defaults?: Record<string, unknown>;
  /** Merged into the `m` model_list entry (e.g. a vision model: `{ model: 'openai/gpt-4o' }`). */
  model?: Record<string, unknown>;
  /** More model_list entries. */
  models?: Record<string, unknown>[];
  /** More top-level config.json keys (voice, tools…). */
  config?: Record<string, unknown>;
  /** More top-level .security.yml text (after the bot token). */
  security?: string;
  /** More channel_list entries beside telegram (e.g. pico). */
  channels?: Record<string, unknown>;
} = {}): Promise<TelegramHarness> {
  const tg = await startFakeTelegram();
  const llm = await startFakeLlm(options.turns ?? [], { echo: true });
  let gw: TestGateway;
  try {
    gw = await startTestGateway({
      config: {
        agents: { defaults: { model_name: 'm', ...options.defaults } },
        model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'], ...options.model }, ...(options.models ?? [])],
        ...options.config,
        channel_list: { telegram: { enabled: true, type: 'telegram', allow_from: ['42'], settings: { token: '[NOT_HERE]', base_url: tg.url } }, ...options.channels },
      },
      security: `channel_list:\n  telegram:\n    settings:\n      token: "${tg.token}"\n${options.security ?? ''}`,
    });
  } catch (error) {
    await Promise.all([tg.close(), llm.close()]);
    throw error;
  }
  const until = async <T>(check: () => T | undefined | false, ms = 8000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = check();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out; calls: ${JSON.stringify(tg.calls.map((c) => [c.method, c.body.text]))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    tg,
    llm,
    gw,
    workspace: join(gw.home, 'workspace'),
    until,
    texts: () => tg.sent().map((c) => String(c.body.text)),
    userMessages: () => llm.requests.map((r) => r.body.messages.filter((m) => m.role === 'user').at(-1)?.content),
    toolResults: () => llm.requests.flatMap((r) => r.body.messages.filter((m) => m.role === 'tool').map((m) => String(m.content))),
    everything: () => `${gw.logs()}\n${JSON.stringify(tg.calls.map((c) => c.body))}`,
    async close() {
      await gw.close();
      await Promise.all([tg.close(), llm.close()]);
    },
  };
}
