import { describe, expect, it } from 'vitest';
import type { Channel, ChannelContext } from '../channels/channel.js';
import type { Cluster } from './cluster.js';
import { createLeaderChannel } from './leader-channel.js';

/** A cluster in which another gateway always leads. */
const followerCluster: Cluster = {
  memberId: 'me',
  leadership: () => ({ isLeader: () => false, stop: async () => {} }),
  leaderOf: () => 'other-gateway',
  status: () => ({ enabled: true }) as unknown as ReturnType<Cluster['status']>,
  close: async () => {},
};

describe('leader channel on a standby gateway', () => {
  it('sends through an instance it builds but never starts, and lists its targets', async () => {
    const events: string[] = [];
    let built = 0;
    const build = async (): Promise<Channel> => {
      const n = ++built;
      return {
        name: 'telegram',
        type: 'telegram',
        start: async () => void events.push(`start ${n}`),
        stop: async () => void events.push(`stop ${n}`),
        status: () => ({ state: 'running', messages: { in: 0, out: events.filter((e) => e.startsWith('send')).length } }),
        async send(chatId, text) {
          events.push(`send ${n} ${chatId} ${text}`);
          return { sessionKey: `telegram:${chatId}` };
        },
        targets: () => [{ to: '42', label: 'Ann' }],
      };
    };
    const channel = createLeaderChannel({ name: 'telegram', type: 'telegram', lease: 'telegram:bot', cluster: followerCluster, build });
    const context: ChannelContext = { signal: new AbortController().signal, submit: async () => {}, log: () => {}, mountUpgrade: () => {}, afterStart: Promise.resolve() };
    await channel.start(context);
    await expect(channel.send!('42', 'hello')).resolves.toEqual({ sessionKey: 'telegram:42' });
    await expect(channel.send!('42', 'again')).resolves.toEqual({ sessionKey: 'telegram:42' });
    expect(events).toEqual(['send 1 42 hello', 'send 1 42 again']);
    expect(built).toBe(1);
    expect(channel.targets!()).toEqual([{ to: '42', label: 'Ann' }]);
    expect(channel.status()).toMatchObject({ state: 'standby', detail: 'standby: gateway other-gateway runs this channel', messages: { in: 0, out: 2 } });
    await channel.stop();
    // Never started, so never polling; stopped so that a send still retrying gives up.
    expect(events).toEqual(['send 1 42 hello', 'send 1 42 again', 'stop 1']);
  });
});
