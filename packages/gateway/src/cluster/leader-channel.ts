/**
 * A channel that only one gateway of a cluster may run at a time (Telegram allows one poller
 * per bot token): it runs while this gateway holds the channel's leadership and stands by
 * otherwise. Each term builds a fresh channel from the factory, so no state leaks between terms.
 */
import type { Channel, ChannelContext } from '../channels/channel.js';
import type { Cluster, Leadership } from './cluster.js';

export function createLeaderChannel(options: { name: string; type: Channel['type']; lease: string; cluster: Cluster; build: () => Promise<Channel> }): Channel {
  const { cluster, lease } = options;
  let leadership: Leadership | undefined;
  let active: Channel | undefined;
  let error: string | undefined;
  // Start and stop of terms run one after the other.
  let transitions: Promise<void> = Promise.resolve();

  function change(leader: boolean, context: ChannelContext) {
    transitions = transitions.then(async () => {
      if (leader && !active && !context.signal.aborted) {
        try {
          const channel = await options.build();
          await channel.start(context);
          active = channel;
          error = undefined;
          context.log('info', 'this gateway runs the channel now (cluster leader)');
        } catch (e) {
          error = (e as Error).message;
          context.log('error', `could not start as leader: ${error}`);
        }
      } else if (!leader && active) {
        const channel = active;
        active = undefined;
        context.log('warn', 'another gateway leads this channel now: standing by');
        await channel.stop().catch((e: Error) => context.log('warn', `did not stop cleanly: ${e.message}`));
      }
    });
  }

  return {
    name: options.name,
    type: options.type,
    async start(context) {
      leadership = cluster.leadership(lease, (leader) => change(leader, context));
    },
    async stop() {
      await leadership?.stop();
      await transitions;
      const channel = active;
      active = undefined;
      await channel?.stop();
    },
    status() {
      if (active) return active.status();
      const holder = cluster.leaderOf(lease);
      return {
        state: error ? 'failed' : 'standby',
        detail: holder && holder !== cluster.memberId ? `standby: gateway ${holder} runs this channel` : 'standby: waiting for the cluster lease',
        ...(error ? { lastError: error } : {}),
        messages: { in: 0, out: 0 },
      };
    },
  };
}
