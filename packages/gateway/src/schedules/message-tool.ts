/**
 * `message` (PicoClaw's name and arguments): a turn sends text to its own chat or, when
 * `tools.message.allow_targets` lists it, to another; the channel refuses chats outside its
 * `allow_from` whatever this allows. A prompt-injected model can thus reach no chat the user did
 * not name.
 */
import * as z from 'zod';
import { defineTool } from '../tools/define-tool.js';
import type { Tool } from '../tools/types.js';
import type { OwnChatDeliveries, Outbound, TurnRunner } from './job-runner.js';
import { ownTarget, refusedTarget, sameTarget, targetAllowed } from './targets.js';

export function createMessageTool(deps: { outbound: Outbound; runtime: Pick<TurnRunner, 'record'>; deliveries: OwnChatDeliveries; allowTargets(): readonly string[] }): Tool {
  return defineTool({
    name: 'message',
    description: 'Send a message (Markdown) now: to this chat, or to channel + chat_id.',
    input: {
      content: z.string().min(1),
      channel: z.string().optional(),
      chat_id: z.string().optional(),
      // PicoClaw's; ignored.
      reply_to_message_id: z.string().optional(),
    },
    async execute({ content, channel, chat_id }, context) {
      const own = ownTarget(context);
      const to = { channel: channel || own.channel, to: chat_id || (channel && channel !== own.channel ? '' : own.to) };
      if (!to.to) return { content: `chat_id is required to send on channel "${to.channel}"`, isError: true };
      if (!targetAllowed(own, to, deps.allowTargets())) return { content: refusedTarget(to), isError: true };
      try {
        const { sessionKey } = await deps.outbound.send(to.channel, to.to, content, context.signal);
        if (sameTarget(own, to) && deps.deliveries.has(context.sessionKey)) deps.deliveries.set(context.sessionKey, true);
        // Another chat's history gets the message; this chat's has it in the tool call already.
        if (sessionKey !== context.sessionKey) await deps.runtime.record(sessionKey, content);
        return `Message sent to ${to.channel}:${to.to}`;
      } catch (error) {
        return { content: `not sent: ${(error as Error).message}`, isError: true };
      }
    },
  });
}
