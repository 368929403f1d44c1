/**
 * Telegram through the Bot API (telegraf's client) with our own long-polling loop, so 409, 429
 * and network loss follow the shared retry policy and stop promptly. A private, restricted bot:
 * only `allow_from` users are answered (others get one polite refusal and a log line), groups
 * only when the bot is mentioned or a trigger prefix is used. Answers are Markdown rendered to
 * Telegram HTML (plain text when Telegram rejects it), split at 4096 characters, with a typing
 * indicator and, when streaming is on, a placeholder edited as the answer grows. `send` speaks
 * first (schedules): to a chat in allow_from, or one an allowed user has written from, which is
 * remembered in the channel state store. It needs no poller, so a standby gateway of a cluster
 * can send through an instance that is never started. Voice notes, documents and photos are checked
 * against their limits before anything is downloaded (telegram-media.ts) and reach the agent in the
 * chat's order; `sendFile` (the send_file tool) sends a file back with sendDocument, to a chat
 * `send` would accept.
 */
import { backoffDelay, classifyFailure, sleep, type ChannelConfig, type ChannelStatus } from '@picoclaw/core';
import type { Telegram } from 'telegraf';
import type { AgentEvent } from '../../agent/events.js';
import { commands } from '../../agent/commands.js';
import type { Channel, ChannelContext, ChannelFactory, RefusedSender } from '../channel.js';
import { markdownToTelegramHtml, splitMessage, TELEGRAM_LIMIT } from './telegram-format.js';
import { createTelegramMedia, isImageDocument, UNSUPPORTED, type Said, type TelegramAudio, type TelegramDocument, type TelegramPhotoSize } from './telegram-media.js';

type TelegramConfig = Extract<ChannelConfig, { type: 'telegram' }>;

interface Update {
  update_id: number;
  message?: {
    message_id: number;
    text?: string;
    caption?: string;
    voice?: TelegramAudio;
    audio?: TelegramAudio;
    document?: TelegramDocument;
    photo?: TelegramPhotoSize[];
    sticker?: unknown;
    animation?: unknown;
    video?: unknown;
    video_note?: unknown;
    chat: { id: number; type: string; title?: string; first_name?: string };
    from?: { id: number; username?: string; first_name?: string; is_bot?: boolean };
    reply_to_message?: { from?: { id: number } };
  };
}
type Message = NonNullable<Update['message']>;


/** Whether a sender may use the bot: ids, usernames (`@name` or bare), `id|name` or `telegram:id`. */
export function senderAllowed(from: { id: number; username?: string }, allowFrom: string[]): boolean {
  const list = allowFrom.map((a) => a.trim()).filter(Boolean);
  // Empty is nobody (PicoClaw: everyone): a bot anyone can find must not open the house to them by default.
  if (list.length === 0) return false;
  if (list.includes('*')) return true;
  const id = String(from.id);
  const name = from.username?.toLowerCase();
  return list.some((entry) =>
    entry.split('|').some((part) => {
      const p = part.trim().replace(/^telegram:/, '');
      return p === id || (!!name && p.replace(/^@/, '').toLowerCase() === name);
    }),
  );
}

/** How long an answer waits for an unreachable Bot API before it is given up (and logged). */
const ANSWER_PATIENCE_MS = 10 * 60_000;
/** Remembered chats kept at most (the oldest go first): a public bot meets any number of chats. */
const MAX_REMEMBERED_CHATS = 500;

/** A chat an allowed user has written from: `by` is checked against allow_from again at send time. */
interface KnownChat {
  label: string;
  by: { id: number; username?: string };
}

/** Numeric chat ids listed in allow_from (`42`, `42|alice`, `telegram:42`); usernames name no chat. */
function allowFromChatIds(allowFrom: string[]): string[] {
  return allowFrom.flatMap((entry) =>
    entry
      .split('|')
      .map((part) => part.trim().replace(/^telegram:/, ''))
      .filter((part) => /^-?\d{1,20}$/.test(part)),
  );
}

/** How many refused senders a channel remembers for the dashboard. */
export const REFUSED_KEPT = 10;

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const createTelegramChannel: ChannelFactory = async (name, config, deps) => {
  if (config.type !== 'telegram') throw new Error(`telegram channel given a ${config.type} config`);
  const { settings, allow_from, group_trigger, placeholder, typing } = config as TelegramConfig;
  if (!settings.token) throw new Error('the bot token is missing (channel_list.telegram.settings.token in .security.yml, or PICOCLAW_CHANNELS_TELEGRAM_TOKEN)');
  const apiRoot = settings.base_url ? `${settings.base_url}/` : 'https://api.telegram.org/';
  // Created by connect(), in the background like the rest of the Bot API handshake: loading
  // telegraf takes longer than the rest of the gateway's start-up. Nothing calls it before.
  // send() creates it too, on demand: it may come before connect(), or on an instance never started.
  let telegram!: Telegram;
  let clientCreated: Promise<void> | undefined;
  const createClient = () =>
    (clientCreated ??= import('telegraf').then(
      (lib) => {
        // A CommonJS package: in the bundle its exports sit on `default`.
        const TelegramClient = lib.Telegram ?? (lib as unknown as { default: typeof lib }).default.Telegram;
        telegram = new TelegramClient(settings.token, { apiRoot });
      },
      (error: unknown) => {
        clientCreated = undefined;
        throw error;
      },
    ));
  const counters = { in: 0, out: 0 };
  let state: ChannelStatus['state'] = 'starting';
  let lastError: string | undefined;
  let lastMessageAt: Date | undefined;
  let botUsername = '';
  let botId = 0;
  let loop: Promise<void> | undefined;
  const stopper = new AbortController();
  const refused = new Map<number, number>();
  /**
   * Who was refused lately, newest first (the dashboard's "find my user id"): memory only, at most
   * REFUSED_KEPT people, each once. It dies with the channel (a restart, a changed allow_from).
   */
  let refusedSenders: RefusedSender[] = [];

  // Chats allowed users have written from, by chat id, in the state store under the bot's id (the
  // token's public part), so a restart or another gateway of a cluster knows them too.
  const chatsKey = `telegram:${/^(\d+):/.exec(settings.token)?.[1] ?? name}:chats`;
  const chats = new Map<string, KnownChat>();
  let chatsLoaded: Promise<void> | undefined;
  let chatsReadAt = 0;
  let chatsSaving: Promise<unknown> = Promise.resolve();
  /** Merges the stored chats into memory (what this instance learnt itself stays). */
  async function readChats() {
    chatsReadAt = Date.now();
    try {
      const stored = JSON.parse((await deps.state?.get(chatsKey)) ?? '{}') as Record<string, Partial<KnownChat>>;
      for (const [id, chat] of Object.entries(stored && typeof stored === 'object' ? stored : {})) {
        if (!chats.has(id) && typeof chat?.by?.id === 'number') chats.set(id, { label: typeof chat.label === 'string' ? chat.label : '', by: chat.by as KnownChat['by'] });
      }
    } catch (error) {
      context?.log('warn', `could not read the remembered chats: ${describeError(error)}`);
    }
  }
  const loadChats = () => (chatsLoaded ??= readChats());
  /** Called per allowed message: writes only when the chat is new (or its label or sender changed). */
  function rememberChat(chatId: number, label: string, by: { id: number; username?: string }) {
    const id = String(chatId);
    const known = chats.get(id);
    if (known && known.label === label && (known.by.id === by.id || senderAllowed(known.by, allow_from))) return;
    chats.delete(id);
    chats.set(id, { label, by: { id: by.id, ...(by.username ? { username: by.username } : {}) } });
    for (const oldest of chats.keys()) {
      if (chats.size <= MAX_REMEMBERED_CHATS) break;
      chats.delete(oldest);
    }
    if (!deps.state) return;
    const value = JSON.stringify(Object.fromEntries(chats));
    chatsSaving = chatsSaving.then(() => deps.state!.set(chatsKey, value)).catch((error: unknown) => context?.log('warn', `could not save the remembered chats: ${describeError(error)}`));
  }
  const openList = () => allow_from.some((a) => a.trim() === '*');
  /** Whether send() may write to a chat first: allow_from lists it, or an allowed user wrote from it. */
  async function chatAllowed(id: string): Promise<boolean> {
    if (openList() || senderAllowed({ id: Number(id) }, allow_from)) return true;
    const allowedHere = () => {
      const chat = chats.get(id);
      return !!chat && senderAllowed(chat.by, allow_from);
    };
    await loadChats();
    if (allowedHere()) return true;
    // Another gateway of the cluster may have met the chat since this one read the store.
    await readChats();
    return allowedHere();
  }

  /**
   * Calls the API, waiting out 429s (retry_after) and retrying network errors a few times — or,
   * with `patienceMs`, for that long: an answer is kept for a Bot API that is down for minutes.
   */
  async function call<T>(fn: () => Promise<T>, what: string, patienceMs = 0, signal?: AbortSignal): Promise<T> {
    const started = Date.now();
    const stop = signal ? AbortSignal.any([stopper.signal, signal]) : stopper.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const verdict = classifyFailure(error);
        const patient = Date.now() - started < patienceMs;
        if (!verdict.retry || (attempt >= 4 && !patient) || stop.aborted) throw error;
        const wait = Math.max(verdict.afterMs ?? 0, backoffDelay(attempt, { baseMs: 500, maxMs: patienceMs ? 30_000 : 8_000 }));
        context?.log('warn', `${what} failed (${describeError(error)}); retrying in ${Math.round(wait / 100) / 10} s`);
        // A caller that stops waiting (a schedule's time limit) learns why the API was not reached.
        await sleep(wait, stop).catch((abort: unknown) => {
          throw signal?.aborted ? error : abort;
        });
      }
    }
  }

  /** Sends HTML, falling back to plain text when Telegram cannot parse the HTML. */
  async function deliver(chatId: number, markdown: string, editId?: number, signal?: AbortSignal): Promise<number | undefined> {
    let messageId: number | undefined;
    for (const [i, part] of splitMessage(markdown, 3500).entries()) {
      const html = markdownToTelegramHtml(part);
      const edit = i === 0 ? editId : undefined;
      const send = (text: string, parse: boolean) =>
        call<unknown>(
          () =>
            edit !== undefined
              ? telegram.editMessageText(chatId, edit, undefined, text, parse ? { parse_mode: 'HTML' } : {})
              : telegram.sendMessage(chatId, text, parse ? { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } : { link_preview_options: { is_disabled: true } }),
          edit !== undefined ? 'editMessageText' : 'sendMessage',
          ANSWER_PATIENCE_MS,
          signal,
        );
      try {
        const result = await (html.length <= TELEGRAM_LIMIT ? send(html, true) : Promise.reject(Object.assign(new Error('too long as HTML'), { response: { error_code: 400 } })));
        messageId ??= typeof result === 'object' && result ? (result as { message_id: number }).message_id : edit;
      } catch (error) {
        // The message already shows this text: the last streamed edit was the whole answer, or an
        // edit whose reply was lost on the way back was retried.
        if (edit !== undefined && /message is not modified/i.test(describeError(error))) messageId ??= edit;
        else {
          if (classifyFailure(error).retry || !/400|parse|too long/i.test(describeError(error))) throw error;
          context?.log('debug', `HTML rejected (${describeError(error)}); sending plain text`);
          for (const plain of splitMessage(part, TELEGRAM_LIMIT)) await send(plain, false);
        }
      }
      counters.out++;
    }
    return messageId;
  }

  function renderer(chatId: number) {
    const streaming = settings.streaming.enabled;
    let placeholderId: Promise<number | undefined> | undefined;
    let text = '';
    let shown = 0;
    let lastEdit = 0;
    let typingTimer: NodeJS.Timeout | undefined;
    let editing: Promise<unknown> = Promise.resolve();
    const startTyping = () => {
      if (!typing.enabled) return;
      const tick = () => void telegram.sendChatAction(chatId, 'typing').catch(() => {});
      tick();
      typingTimer = setInterval(tick, 4_000);
    };
    const stopTyping = () => clearInterval(typingTimer);
    return (event: AgentEvent) => {
      switch (event.type) {
        case 'turn-start': {
          startTyping();
          if (placeholder.enabled && placeholder.text.length) {
            const label = placeholder.text[Math.floor(Math.random() * placeholder.text.length)]!;
            placeholderId = call(() => telegram.sendMessage(chatId, label), 'sendMessage').then((m) => m.message_id, () => undefined);
          }
          break;
        }
        case 'text-delta': {
          text += event.text;
          if (!streaming || !placeholderId) break;
          const now = Date.now();
          if (text.length - shown < settings.streaming.min_growth_chars || now - lastEdit < settings.streaming.throttle_seconds * 1000) break;
          lastEdit = now;
          shown = text.length;
          const snapshot = text.length > TELEGRAM_LIMIT - 10 ? `${text.slice(0, TELEGRAM_LIMIT - 10)}…` : text;
          editing = editing.then(async () => {
            const id = await placeholderId;
            if (id !== undefined) await telegram.editMessageText(chatId, id, undefined, snapshot).catch(() => {});
          });
          break;
        }
        case 'tool-call':
          break;
        case 'turn-end': {
          stopTyping();
          void editing.then(async () => {
            const id = await placeholderId;
            const answer = event.reason === 'aborted' ? `${text}\n\n(stopped)` : event.text || text;
            try {
              if (!answer.trim()) {
                if (id !== undefined) await telegram.deleteMessage(chatId, id).catch(() => {});
                return;
              }
              await deliver(chatId, answer, id);
            } catch (error) {
              lastError = `sending to chat ${chatId} failed: ${describeError(error)}`;
              context?.log('error', lastError);
            }
          });
          break;
        }
        default:
          break;
      }
    };
  }

  let context: ChannelContext | undefined;

  const media = createTelegramMedia({
    apiRoot,
    token: settings.token,
    deps,
    telegram: () => telegram,
    call,
    signal: stopper.signal,
    typing: typing.enabled,
    log: (level, message) => context?.log(level, message),
    sent: () => void counters.out++,
  });
  /** Media being downloaded or transcribed, per chat: what the chat sends next waits, to keep the order. */
  const hearing = new Map<number, Promise<unknown>>();

  /** The step that turns what a message holds besides text into what the agent is given; undefined for text only. */
  function mediaOf(message: Message): ((text: string) => Promise<Said | undefined>) | undefined {
    const chatId = message.chat.id;
    const unsupported = (Object.keys(UNSUPPORTED) as (keyof typeof UNSUPPORTED)[]).find((kind) => message[kind] !== undefined);
    if (unsupported) return () => media.refuse(chatId, UNSUPPORTED[unsupported]);
    const audio = message.voice ?? message.audio;
    if (audio) return (text) => media.hear(chatId, audio, message.voice ? 'voice note' : 'audio file', text);
    const sizes = message.photo;
    if (sizes?.length) return (text) => media.see(chatId, { sizes }, text);
    const document = message.document;
    // An image sent as a file goes where photos go (a model sees it); any other file to the inbox.
    if (document) return (text) => (isImageDocument(document) ? media.see(chatId, { document }, text) : media.receive(chatId, document, text));
    return undefined;
  }

  async function handle(update: Update) {
    const message = update.message;
    if (!message?.from || message.from.is_bot) return;
    const take = mediaOf(message);
    if (!message.text && !take) return;
    const chatId = message.chat.id;
    const from = message.from;
    if (!senderAllowed(from, allow_from)) {
      context?.log('warn', `message from user ${from.id}${from.username ? ` (@${from.username})` : ''} refused: not in allow_from`);
      refusedSenders = [{ id: from.id, ...(from.username ? { username: from.username.slice(0, 64) } : {}), ...(from.first_name ? { first_name: from.first_name.slice(0, 64) } : {}), at: new Date().toISOString() }, ...refusedSenders.filter((r) => r.id !== from.id)].slice(0, REFUSED_KEPT);
      // One polite answer per chat per hour, so a stranger cannot make the bot spam.
      const last = refused.get(chatId) ?? 0;
      if (message.chat.type === 'private' && Date.now() - last > 3_600_000) {
        refused.set(chatId, Date.now());
        // The id is what the owner needs to let this user in: a new owner finds theirs this way.
        await telegram.sendMessage(chatId, `Sorry, this is a private assistant and you are not on its list of users. Your Telegram user id is ${from.id}: its owner can add it to allow_from.`).catch(() => {});
      }
      return;
    }
    rememberChat(chatId, (message.chat.type === 'private' ? (from.first_name ?? message.chat.first_name ?? '') : (message.chat.title ?? '')).slice(0, 128), from);
    let text = (message.text ?? message.caption ?? '').trim();
    if (message.chat.type !== 'private') {
      const mention = botUsername ? new RegExp(`@${botUsername}\\b`, 'i') : undefined;
      const mentioned = (mention?.test(text) ?? false) || message.reply_to_message?.from?.id === botId;
      const prefix = group_trigger.prefixes.find((p) => text.startsWith(p));
      const isCommand = text.startsWith('/') && (!text.includes('@') || (mention?.test(text) ?? false));
      if (mentioned || isCommand) text = mention ? text.replace(mention, '').trim() : text;
      else if (prefix && !group_trigger.mention_only) text = text.slice(prefix.length).trim();
      else return;
    }
    if (!text && !take) return;
    counters.in++;
    lastMessageAt = new Date();
    // Not awaited (as before voice): a message sent during a turn reaches the agent at once.
    const submit = (said: Said | undefined) => {
      if (!said || (!said.text && !said.images?.length)) return;
      void context!.submit(
        {
          chatId: String(chatId),
          sessionKey: `telegram:${chatId}`,
          senderId: String(from.id),
          ...(from.first_name ? { senderName: from.first_name } : {}),
          text: said.text,
          ...(said.images?.length ? { images: said.images } : {}),
          ...(said.files?.length ? { files: said.files } : {}),
          ...(said.voice ? { voice: true } : {}),
        },
        renderer(chatId),
      );
    };
    const before = hearing.get(chatId);
    if (!take && !before) return void submit({ text });
    // Downloads and transcriptions take seconds: the poller goes on with other chats, this chat's next messages wait.
    const done = (before ?? Promise.resolve())
      .then(() => (take ? take(text) : { text }))
      .then(submit)
      .catch((error: unknown) => context?.log('warn', `message in chat ${chatId} failed: ${describeError(error).replaceAll(settings.token, '<token>')}`))
      .finally(() => hearing.get(chatId) === done && hearing.delete(chatId));
    hearing.set(chatId, done);
  }

  /** getMe until it answers (backing off up to a minute); a rejected token stops for good. */
  async function connect() {
    try {
      await createClient();
      // Known chats before the first update, which may add one.
      await loadChats();
    } catch (error) {
      state = 'failed';
      lastError = `cannot load the Telegram client: ${describeError(error)}`;
      context?.log('error', lastError);
      stopper.abort();
      return;
    }
    for (let failures = 1; !stopper.signal.aborted; failures++) {
      try {
        const me = await telegram.getMe();
        botUsername = me.username ?? '';
        botId = me.id;
        break;
      } catch (error) {
        const code = (error as { response?: { error_code?: number } }).response?.error_code;
        if (code === 401 || code === 404) {
          state = 'failed';
          lastError = 'the bot token was rejected by Telegram (401): check channel_list.telegram.settings.token';
          context?.log('error', lastError);
          stopper.abort();
          return;
        }
        const wait = backoffDelay(failures, { baseMs: 1_000, maxMs: 60_000 });
        lastError = `cannot reach the Telegram Bot API: ${describeError(error)}`;
        state = 'reconnecting';
        context?.log('warn', `${lastError}; retrying in ${Math.round(wait / 1000)} s`);
        await sleep(wait, stopper.signal).catch(() => {});
      }
    }
    if (stopper.signal.aborted) return;
    await call(() => telegram.deleteWebhook({ drop_pending_updates: false }), 'deleteWebhook').catch(() => {});
    // The command menu is cosmetic: register it in the background.
    void telegram
      .setMyCommands(Object.entries(commands).filter(([n]) => n !== 'start').map(([command, c]) => ({ command, description: c.help.slice(0, 256) })))
      .catch((error: unknown) => context?.log('warn', `setMyCommands failed: ${describeError(error)}`));
  }

  async function poll() {
    // Where the last run (or the previous cluster leader) stopped: Telegram re-sends every
    // update until a getUpdates asks past it, so without this a restart answers them twice.
    const offsetKey = `telegram:${botId}:offset`;
    let offset = Number(await deps.state?.get(offsetKey).catch(() => undefined)) || 0;
    let failures = 0;
    while (!stopper.signal.aborted) {
      try {
        // telegraf types its signal after the abort-controller polyfill; the runtime takes Node's.
        const signal = stopper.signal as unknown as Parameters<Telegram['callApi']>[2] extends { signal?: infer S } | undefined ? S : never;
        const updates = (await telegram.callApi('getUpdates', { offset, timeout: 25, allowed_updates: ['message'] }, { signal })) as unknown as Update[];
        if (state !== 'running') context?.log('info', `polling for @${botUsername}`);
        state = 'running';
        lastError = undefined;
        failures = 0;
        for (const update of updates) {
          offset = Math.max(offset, update.update_id + 1);
          await handle(update).catch((error: unknown) => context?.log('warn', `update ${update.update_id} failed: ${describeError(error)}`));
        }
        if (updates.length) await deps.state?.set(offsetKey, String(offset)).catch((error: Error) => context?.log('warn', `could not save the update offset: ${error.message}`));
      } catch (error) {
        if (stopper.signal.aborted) break;
        failures++;
        const code = (error as { response?: { error_code?: number } }).response?.error_code;
        lastError = describeError(error);
        state = 'reconnecting';
        if (code === 401 || code === 404) {
          state = 'failed';
          lastError = 'the bot token was rejected by Telegram (401): check channel_list.telegram.settings.token';
          context?.log('error', lastError);
          return;
        }
        const verdict = classifyFailure(error);
        // 409: another process polls with this token. It may be a stale poller about to time out.
        const wait = code === 409 ? 30_000 : Math.max(verdict.retry ? (verdict.afterMs ?? 0) : 0, backoffDelay(failures, { baseMs: 1_000, maxMs: 60_000 }));
        context?.log('warn', code === 409
          ? 'another bot instance is polling with this token (409 Conflict); only one may run. Retrying in 30 s'
          : `polling failed (${lastError}); retrying in ${Math.round(wait / 1000)} s`);
        await sleep(wait, stopper.signal).catch(() => {});
      }
    }
  }

  const channel: Channel = {
    name,
    type: 'telegram',
    async start(ctx) {
      context = ctx;
      // Connecting happens in the background, once the other channels have started: the gateway
      // is ready without waiting for Telegram, and a Bot API that is down at start is retried
      // until it answers.
      loop = ctx.afterStart.then(() => (stopper.signal.aborted ? undefined : connect().then(poll)));
    },
    async stop() {
      state = 'stopped';
      stopper.abort();
      await loop;
    },
    async send(chatId, text, signal) {
      const id = chatId.trim().replace(/^telegram:/, '');
      if (!/^-?\d{1,20}$/.test(id)) throw new Error(`telegram: "${chatId.slice(0, 64)}" is not a chat id (a number such as 12345, or -100… for a group)`);
      const numeric = Number(id);
      if (!Number.isSafeInteger(numeric)) throw new Error(`telegram: "${id}" is not a chat id Telegram uses (too large)`);
      const key = String(numeric);
      if (!text.trim()) throw new Error('telegram: the message is empty');
      if (stopper.signal.aborted) throw new Error(state === 'failed' && lastError ? `telegram: ${lastError}` : `telegram: channel ${name} is stopped`);
      if (!(await chatAllowed(key))) {
        throw new Error(`telegram: chat ${key} is not in allow_from (add it to channel_list.${name}.allow_from, or write to the bot from that chat as an allowed user first)`);
      }
      signal?.throwIfAborted();
      try {
        await createClient();
      } catch (error) {
        throw new Error(`telegram: cannot load the Telegram client: ${describeError(error)}`, { cause: error });
      }
      // A network error of the client names the request URL, which holds the token (telegraf masks
      // it in its messages; this makes sure): the error given back carries the message without the
      // token, and not the original error as a cause.
      const failure = await deliver(numeric, text, undefined, signal).then(
        () => undefined,
        (error: unknown) => describeError(error).replaceAll(settings.token, '<token>'),
      );
      if (failure !== undefined) throw new Error(`telegram: sending to chat ${key} failed: ${failure}`);
      return { sessionKey: `telegram:${key}` };
    },
    async sendVoice(chatId, audio, signal) {
      // The same chats as send: the turn's own chat, which an allowed user wrote from.
      const key = chatId.trim().replace(/^telegram:/, '');
      const numeric = Number(key);
      if (!/^-?\d{1,20}$/.test(key) || !Number.isSafeInteger(numeric)) throw new Error(`telegram: "${chatId.slice(0, 64)}" is not a chat id`);
      if (stopper.signal.aborted) throw new Error(`telegram: channel ${name} is stopped`);
      if (!(await chatAllowed(String(numeric)))) throw new Error(`telegram: chat ${numeric} is not in allow_from (channel_list.${name}.allow_from)`);
      signal?.throwIfAborted();
      await createClient();
      const failure = await call(() => telegram.sendVoice(numeric, { source: audio, filename: 'voice.ogg' }), 'sendVoice', ANSWER_PATIENCE_MS, signal).then(
        () => undefined,
        (error: unknown) => describeError(error).replaceAll(settings.token, '<token>'),
      );
      if (failure !== undefined) throw new Error(`telegram: sending the voice note to chat ${numeric} failed: ${failure}`);
      counters.out++;
    },
    targets() {
      // An instance that does not poll (a standby gateway's) learns new chats from the store only.
      if (!chatsLoaded) void loadChats();
      else if (!context && Date.now() - chatsReadAt > 10_000) void readChats();
      const out = new Map<string, string>();
      for (const [id, chat] of chats) if (senderAllowed(chat.by, allow_from)) out.set(id, chat.label || id);
      for (const id of allowFromChatIds(allow_from)) if (!out.has(id)) out.set(id, chats.get(id)?.label || id);
      return [...out].map(([to, label]) => ({ to, label }));
    },
    async sendFile(chatId, file) {
      // The turn's own chat, still checked as send checks it: allowed, or an allowed user wrote from it.
      const key = chatId.trim().replace(/^telegram:/, '');
      const numeric = Number(key);
      if (!/^-?\d{1,20}$/.test(key) || !Number.isSafeInteger(numeric)) throw new Error(`telegram: "${chatId.slice(0, 64)}" is not a chat id`);
      if (stopper.signal.aborted) throw new Error(`telegram: channel ${name} is stopped`);
      if (!(await chatAllowed(String(numeric)))) throw new Error(`telegram: chat ${numeric} is not in allow_from (channel_list.${name}.allow_from)`);
      await createClient();
      const failure = await call(() => telegram.sendDocument(numeric, { source: file.bytes, filename: file.filename }), 'sendDocument').then(
        () => undefined,
        (error: unknown) => describeError(error).replaceAll(settings.token, '<token>'),
      );
      if (failure !== undefined) throw new Error(`telegram: sending ${file.filename} to chat ${numeric} failed: ${failure}`);
      counters.out++;
    },
    refusedSenders: () => refusedSenders.map((r) => ({ ...r })),
    status: () => ({
      state,
      detail: botUsername ? `@${botUsername}` : 'connecting',
      messages: { ...counters },
      ...(lastError ? { lastError } : {}),
      ...(lastMessageAt ? { lastMessageAt: lastMessageAt.toISOString() } : {}),
    }),
  };
  return channel;
};
