import { channelSchema, type ChannelConfig } from '@picoclaw/core';
import { describe, expect, it } from 'vitest';
import type { Channel, ChannelFactory } from './channel.js';
import { createChannelManager } from './channel-manager.js';

/** A channel that records what it is asked to send; `speaks: false` has no send at all. */
function fakeFactory(sent: string[], speaks = true): ChannelFactory {
  return (name, config) => {
    const channel: Channel = {
      name,
      type: config.type,
      start: async () => {},
      stop: async () => {},
      status: () => ({ state: 'running', messages: { in: 0, out: sent.length } }),
    };
    if (!speaks) return channel;
    return {
      ...channel,
      async send(chatId, text) {
        if (chatId === 'nope') throw new Error(`${config.type}: chat nope is not in allow_from`);
        sent.push(`${name} ${chatId} ${text}`);
        return { sessionKey: `${config.type}:${chatId}` };
      },
      targets: () => [{ to: 'kitchen', label: 'Kitchen' }],
    };
  };
}

const cfg = (type: ChannelConfig['type'], enabled = true, settings: Record<string, unknown> = {}) => channelSchema.parse({ type, enabled, settings });

describe('channel manager send and targets', () => {
  it('routes to the running channel by name, and says why it cannot', async () => {
    const sent: string[] = [];
    const manager = createChannelManager({
      factories: { mqtt: fakeFactory(sent), pico: fakeFactory([], false) },
      submit: async () => {},
      mountUpgrade: () => {},
      log: () => {},
    });
    await manager.start({
      house: cfg('mqtt', true, { broker: 'tcp://127.0.0.1:1883' }),
      off: cfg('mqtt', false, { broker: 'tcp://127.0.0.1:1883' }),
      web: cfg('pico', true, { token: 't' }),
      tg: cfg('telegram', true, { token: '1:x' }),
    });
    await expect(manager.send('house', 'kitchen', 'hello')).resolves.toEqual({ sessionKey: 'mqtt:kitchen' });
    expect(sent).toEqual(['house kitchen hello']);
    await expect(manager.send('garden', 'x', 'hi')).rejects.toThrow(/^no running channel named "garden"$/);
    await expect(manager.send('off', 'x', 'hi')).rejects.toThrow('no running channel named "off" (it is disabled: set channel_list.off.enabled to true)');
    await expect(manager.send('tg', 'x', 'hi')).rejects.toThrow(/^no running channel named "tg" \(it failed to start: channel type telegram is not available in this build\)$/);
    await expect(manager.send('web', 'abc', 'hi')).rejects.toThrow(/^channel web \(pico\) cannot send messages$/);
    await expect(manager.send('house', 'nope', 'hi')).rejects.toThrow('mqtt: chat nope is not in allow_from');
    expect(manager.targets()).toEqual([{ channel: 'house', type: 'mqtt', to: 'kitchen', label: 'Kitchen' }]);
    await manager.stop();
    await expect(manager.send('house', 'kitchen', 'hi')).rejects.toThrow(/no running channel named "house"/);
  });
});
