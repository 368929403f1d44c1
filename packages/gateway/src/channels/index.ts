import type { Config } from '@picoclaw/core';
import type { ChannelFactory } from './channel.js';

/**
 * Channel implementations by type. Each is imported when a channel of that type is enabled, so
 * its library (ws, mqtt, telegraf) costs nothing otherwise.
 */
export const channelFactories: Partial<Record<Config['channel_list'][string]['type'], ChannelFactory>> = {
  pico: async (...args) => (await import('./pico/pico-channel.js')).createPicoChannel(...args),
  mqtt: async (...args) => (await import('./mqtt/mqtt-channel.js')).createMqttChannel(...args),
  telegram: async (...args) => (await import('./telegram/telegram-channel.js')).createTelegramChannel(...args),
};
