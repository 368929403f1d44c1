import type { Config } from '@picoclaw/core';
import type { ChannelFactory } from './channel.js';

/** Channel implementations by type, registered without import side effects. */
export const channelFactories: Partial<Record<Config['channel_list'][string]['type'], ChannelFactory>> = {};
