/**
 * A channel that only one gateway of a cluster may run at a time (Telegram allows one poller
 * per bot token): it runs while this gateway holds the channel's leadership and stands by
 * otherwise. Each term builds a fresh channel from the factory, so no state leaks between terms.
 * Sending first (schedules) needs no poller: a standby gateway sends through an instance of its
 * own, built on first need and never started, so it never polls.
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
  let sender: Promise<Channel> | undefined;
  let senderChannel: Channel | undefined;
  let senderUsed = false;
  const sendOnly = () =>
    (sender ??= options.build().then(
      (channel) => (senderChannel = channel),
      (e: unknown) => {
        sender = undefined;
        throw e;
      },
    ));

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
      // A standby's targets() is synchronous: prepare its sender (which reads the known chats)
      // once the gateway has started, so a picker opened later is not empty.
      void context.afterStart.then(() => {
        if (!active && !context.signal.aborted) sendOnly().then((channel) => channel.targets?.(), (e: Error) => context.log('warn', `cannot prepare sending from this standby gateway: ${e.message}`));
      });
    },
    async stop() {
      await leadership?.stop();
      await transitions;
      const channel = active;
      active = undefined;
      await channel?.stop();
      // The sender never started; stopping it cuts the retries of a send still waiting for the API.
      const idle = senderUsed ? senderChannel : undefined;
      sender = senderChannel = undefined;
      await idle?.stop().catch(() => {});
    },
    async send(chatId, text, signal) {
      if (!active) senderUsed = true;
      const channel = active ?? (await sendOnly());
      if (!channel.send) throw new Error(`channel ${options.name} (${options.type}) cannot send messages`);
      return channel.send(chatId, text, signal);
    },
    targets() {
      const channel = active ?? senderChannel;
      if (!channel) void sendOnly().catch(() => {});
      return channel?.targets?.() ?? [];
    },
    status() {
      if (active) return active.status();
      const holder = cluster.leaderOf(lease);
      return {
        state: error ? 'failed' : 'standby',
        detail: holder && holder !== cluster.memberId ? `standby: gateway ${holder} runs this channel` : 'standby: waiting for the cluster lease',
        ...(error ? { lastError: error } : {}),
        messages: { in: 0, out: senderChannel?.status().messages.out ?? 0 },
      };
    },
  };
}
