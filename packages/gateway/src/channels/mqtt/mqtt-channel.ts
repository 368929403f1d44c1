/**
 * The MQTT channel of the MQTT guide: devices publish `{"text": …}` to
 * `{prefix}/{agent_id}/{client_id}/request` and read answers, possibly in several messages, on
 * `…/response`. Each client_id is its own conversation. The connection retries every 5 s with the
 * same broker client id, and the subscription is restored after every reconnect. Beyond the
 * reference: errors go back on the response topic, payloads have a size limit, TLS can be
 * verified with a CA file, and an MQTT 5 shared subscription lets several gateways split the load.
 * A request may carry an image (`"image"`: base64, or a `data:image/…;base64,` URL), stored in
 * the workspace's media/images (deps.images) before the turn, which then has it attached.
 * `send` speaks first (schedules): `{"text": …}` on a device's response topic.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PicoError, type ChannelConfig, type ChannelStatus } from '@picoclaw/core';
import type { MqttClient, IClientOptions } from 'mqtt';
import type { AgentEvent } from '../../agent/events.js';
import type { ImageStore } from '../../media/image-store.js';
import type { Channel, ChannelContext, ChannelFactory } from '../channel.js';

type MqttConfig = Extract<ChannelConfig, { type: 'mqtt' }>;
type Settings = MqttConfig['settings'];

/** Broker client ids generated once per channel and agent for the life of the process. */
const generatedClientIds = new Map<string, string>();
export function brokerClientId(channel: string, settings: Pick<Settings, 'client_id' | 'agent_id'>): string {
  if (settings.client_id) return settings.client_id;
  const key = `${channel}\u0000${settings.agent_id}`;
  let id = generatedClientIds.get(key);
  if (!id) generatedClientIds.set(key, (id = `picoclaw-mqtt-${settings.agent_id}-${randomBytes(4).toString('hex')}`));
  return id;
}

/** paho-style schemes of the guide mapped to what mqtt.js speaks. */
export function brokerUrl(broker: string): string {
  const url = new URL(broker);
  const scheme = url.protocol.replace(/:$/, '');
  const mapped = ({ tcp: 'mqtt', ssl: 'mqtts', tls: 'mqtts' } as Record<string, string>)[scheme] ?? scheme;
  return `${mapped}://${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

export function topics(settings: Pick<Settings, 'topic_prefix' | 'agent_id' | 'shared_group'>) {
  const base = `${settings.topic_prefix}/${settings.agent_id}`;
  const filter = `${base}/+/request`;
  return {
    base,
    subscription: settings.shared_group ? `$share/${settings.shared_group}/${filter}` : filter,
    response: (client: string) => `${base}/${client}/response`,
    /** The device's client id from a request topic, or undefined if the topic is not ours. */
    clientOf(topic: string): string | undefined {
      if (!topic.startsWith(`${base}/`) || !topic.endsWith('/request')) return undefined;
      const client = topic.slice(base.length + 1, -'/request'.length);
      return client && !client.includes('/') ? client : undefined;
    },
  };
}

/** Devices remembered for targets() at most: with an open allow_from any client id may come. */
const MAX_SEEN_DEVICES = 500;

/**
 * Stores a request's `image`: a data URL as the dashboard sends it, or bare base64 (what a
 * camera's firmware most easily writes). Rejects with PicoError `invalid_input` and a sentence
 * for the device. The size is checked before decoding.
 */
export async function saveRequestImage(images: ImageStore, image: string): Promise<string> {
  if (/^data:/i.test(image)) return (await images.saveDataUrl(image)).path;
  if (Math.floor((image.length * 3) / 4) > images.maxBytes() + 3) throw new PicoError('invalid_input', `image exceeds ${images.maxBytes()} byte limit (agents.defaults.max_media_size)`);
  const clean = image.replace(/\s+/g, '');
  if (!clean || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new PicoError('invalid_input', 'invalid base64 image data');
  return (await images.save(Buffer.from(clean, 'base64'))).path;
}

function allowed(client: string, allowFrom: string[]): boolean {
  const list = allowFrom.map((a) => a.trim()).filter(Boolean);
  if (list.length === 0 || list.includes('*')) return true;
  return list.some((entry) => entry === client || entry.split('|').includes(client) || entry === `mqtt:${client}`);
}

export const createMqttChannel: ChannelFactory = async (name, config, deps) => {
  if (config.type !== 'mqtt') throw new Error(`mqtt channel given a ${config.type} config`);
  const { settings, allow_from } = config as MqttConfig;
  const [mqtt, packet] = await Promise.all([import('mqtt').then((m) => m.default), import('mqtt-packet')]);
  // mqtt-packet otherwise builds, on the first packet it writes, a Buffer for each of the 65,536
  // two-byte numbers: ~17 ms of the gateway's start-up and several MB of heap, to save
  // allocating two bytes per packet.
  (packet.writeToStream ?? (packet as unknown as { default: typeof packet }).default.writeToStream).cacheNumbers = false;
  const clientId = brokerClientId(name, settings);
  const t = topics(settings);
  const counters = { in: 0, out: 0 };
  let lastMessageAt: Date | undefined;
  let lastError: string | undefined;
  let state: ChannelStatus['state'] = 'starting';
  let client: MqttClient | undefined;
  let context: ChannelContext | undefined;
  const host = new URL(settings.broker).host;
  /** Allowed devices that have written since start, for targets(). */
  const seen = new Set<string>();
  /** Requests with an image being stored, per device: what the device sends next waits, to keep the order. */
  const storing = new Map<string, Promise<unknown>>();

  function publish(client_: string, body: Record<string, unknown>) {
    counters.out++;
    client?.publish(t.response(client_), JSON.stringify(body), { qos: settings.qos, retain: false }, (error) => {
      if (error) context?.log('warn', `publish to ${t.response(client_)} failed: ${error.message}`);
    });
  }

  /** One turn's events become messages on the response topic, in order: text before each tool call, then the rest. */
  function renderer(device: string) {
    let text = '';
    return (event: AgentEvent) => {
      if (event.type === 'text-delta') text += event.text;
      else if (event.type === 'tool-call') {
        if (text.trim()) publish(device, { text });
        text = '';
      } else if (event.type === 'turn-end') {
        if (event.reason === 'error') publish(device, { text: event.text, error: 'turn_failed' });
        else if (event.reason === 'command') publish(device, { text: event.text });
        else if (event.reason === 'aborted') {
          if (text.trim()) publish(device, { text, stopped: true });
        } else if (text.trim() || event.reason === 'max-iterations') publish(device, { text: text.trim() ? text : event.text });
      }
    };
  }

  function onMessage(topic: string, payload: Buffer) {
    const device = t.clientOf(topic);
    if (!device) {
      context?.log('warn', `Unexpected topic format: ${topic}`);
      return;
    }
    const refuse = (message: string) => {
      context?.log('warn', `request from ${device} refused: ${message}`);
      publish(device, { error: message });
    };
    if (payload.length > settings.max_payload_bytes) {
      return refuse(`payload of ${payload.length} bytes exceeds the ${settings.max_payload_bytes} byte limit (channel_list.${name}.settings.max_payload_bytes)`);
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return refuse('payload is not JSON; send {"text": "your message"}');
    }
    const fields = body && typeof body === 'object' ? (body as { text?: unknown; image?: unknown }) : {};
    const text = typeof fields.text === 'string' ? fields.text.trim() : '';
    const image = fields.image;
    if (image !== undefined && (typeof image !== 'string' || !image)) return refuse('"image" must be a base64 string or a data:image/…;base64, URL');
    if (!text && image === undefined) return refuse('payload has no "text"; send {"text": "your message"}');
    if (!allowed(device, allow_from)) {
      context?.log('warn', `request from ${device} refused: not in allow_from`);
      return publish(device, { error: 'this client is not allowed to use the assistant' });
    }
    if (image !== undefined && !deps.images) return refuse('images cannot be received here: this gateway has no place to store them');
    counters.in++;
    lastMessageAt = new Date();
    if (seen.size < MAX_SEEN_DEVICES) seen.add(device);
    const submit = (images?: string[]) =>
      void context!.submit({ chatId: `mqtt:${device}`, sessionKey: `mqtt:${device}`, senderId: device, text, ...(images ? { images } : {}) }, renderer(device));
    const before = storing.get(device);
    if (image === undefined && !before) return submit();
    // Storing an image is asynchronous: this device's next requests wait for it, in order.
    const done = (before ?? Promise.resolve())
      .then(async () => {
        if (image === undefined) return submit();
        try {
          submit([await saveRequestImage(deps.images!, image)]);
        } catch (error) {
          if (error instanceof PicoError) return refuse(error.message);
          context?.log('warn', `image from ${device} could not be stored: ${(error as Error).message}`);
          publish(device, { error: 'the image could not be stored' });
        }
      })
      .finally(() => storing.get(device) === done && storing.delete(device));
    storing.set(device, done);
  }

  const channel: Channel = {
    name,
    type: 'mqtt',
    async start(ctx) {
      context = ctx;
      const options: IClientOptions = {
        clientId,
        keepalive: settings.keep_alive,
        protocolVersion: settings.protocol_version,
        reconnectPeriod: 5_000,
        connectTimeout: 10_000,
        clean: true,
        resubscribe: false, // re-subscribed in the connect handler, which also logs it
        ...(settings.username ? { username: settings.username } : {}),
        ...(settings.password ? { password: settings.password } : {}),
        rejectUnauthorized: settings.tls_verify,
        ...(settings.ca_file ? { ca: await readFile(settings.ca_file) } : {}),
      };
      client = mqtt.connect(brokerUrl(settings.broker), options);
      client.on('message', (topic, payload) => {
        try {
          onMessage(topic, payload);
        } catch (error) {
          ctx.log('warn', `message on ${topic} could not be handled: ${(error as Error).message}`);
        }
      });
      client.on('error', (error) => {
        lastError = error.message;
        ctx.log('warn', `MQTT error: ${error.message}`);
      });
      client.on('offline', () => {
        if (state === 'running') ctx.log('warn', `MQTT connection lost to ${host}; retrying every 5 s`);
        if (state !== 'stopped') state = 'reconnecting';
      });
      const subscribed = new Promise<void>((resolve) => {
        client!.on('connect', () => {
          client!.subscribe(t.subscription, { qos: settings.qos }, (error) => {
            if (error) {
              lastError = `subscribe to ${t.subscription} failed: ${error.message}`;
              ctx.log('error', lastError);
              return;
            }
            state = 'running';
            lastError = undefined;
            ctx.log('info', `connected to ${host} as ${clientId}, subscribed to ${t.subscription}`);
            resolve();
          });
        });
      });
      // Wait for the first connection attempt, not longer: a broker that is down is retried in the
      // background, and the gateway should be ready meanwhile.
      const failed = new Promise<'failed'>((resolve) => {
        client!.once('close', () => resolve('failed'));
        setTimeout(() => resolve('failed'), 10_000).unref();
      });
      if ((await Promise.race([subscribed, failed])) === 'failed' && state !== 'running') {
        state = 'reconnecting';
        lastError ??= `cannot connect to ${host}`;
        ctx.log('warn', `${lastError}; still retrying every 5 s`);
      }
    },
    async stop() {
      state = 'stopped';
      await client?.endAsync(false).catch(() => client?.end(true));
    },
    async send(chatId, text, signal) {
      const device = chatId.trim().replace(/^mqtt:/, '');
      // A device id is one topic level: no separators or wildcards.
      if (!device || device.length > 256 || /[/+#]/.test(device) || device.includes('\0')) throw new Error(`mqtt: "${chatId.slice(0, 64)}" is not a device id (the client_id of the device's topics, e.g. kitchen)`);
      if (!allowed(device, allow_from)) throw new Error(`mqtt: device ${device} is not in allow_from (channel_list.${name}.allow_from)`);
      if (!text.trim()) throw new Error('mqtt: the message is empty');
      // mqtt.js would queue it until a reconnect that may never come: refuse instead.
      if (!client?.connected) throw new Error(`mqtt: not connected to the broker ${host}; the message to ${device} was not sent`);
      signal?.throwIfAborted();
      const topic = t.response(device);
      await new Promise<void>((resolve, reject) => {
        counters.out++;
        client!.publish(topic, JSON.stringify({ text }), { qos: settings.qos, retain: false }, (error) =>
          error ? reject(new Error(`mqtt: publish to ${topic} failed: ${error.message}`)) : resolve(),
        );
      });
      return { sessionKey: `mqtt:${device}` };
    },
    targets: () => [...seen].map((device) => ({ to: device, label: device })),
    status: () => ({
      state,
      detail: `${host} as ${clientId}, ${t.subscription}`,
      messages: { ...counters },
      ...(lastError ? { lastError } : {}),
      ...(lastMessageAt ? { lastMessageAt: lastMessageAt.toISOString() } : {}),
    }),
  };
  return channel;
};
