/**
 * Slash commands, the same on every channel. They are answered by the gateway itself, without a
 * model call (except that unknown commands go to the model as ordinary text).
 */
export interface CommandContext {
  sessionKey: string;
  args: string;
  stop(): boolean;
  clear(): Promise<void>;
  currentModel(): string;
  setModel(name: string | undefined): string | undefined;
  models(): string;
  tools(): string;
  mcp(): string;
  status(): string;
  voice(): Promise<string>;
}

interface Command {
  usage: string;
  help: string;
  run(context: CommandContext): Promise<string> | string;
}

export const commands: Record<string, Command> = {
  help: { usage: '/help', help: 'list the commands', run: () => helpText() },
  start: { usage: '/start', help: 'say hello', run: () => `Hi! I'm picoclaw. Ask me anything, or try /help.` },
  new: {
    usage: '/new',
    help: 'start a new conversation (the old one is archived)',
    async run(c) {
      c.stop();
      await c.clear();
      return 'Started a new conversation.';
    },
  },
  stop: { usage: '/stop', help: 'stop the answer in progress', run: (c) => (c.stop() ? 'Stopped.' : 'Nothing is running.') },
  model: {
    usage: '/model [name]',
    help: 'show or switch the model of this conversation (/model default to go back)',
    run(c) {
      const name = c.args.trim();
      if (!name) return `Model: ${c.currentModel()}`;
      const error = c.setModel(name === 'default' ? undefined : name);
      return error ?? `Switched this conversation to ${c.currentModel()}.`;
    },
  },
  models: { usage: '/models', help: 'list the configured models and their state', run: (c) => c.models() },
  tools: { usage: '/tools', help: 'list the tools I can use', run: (c) => c.tools() },
  mcp: { usage: '/mcp', help: 'show the MCP servers (e.g. Home Assistant) and their state', run: (c) => c.mcp() },
  status: { usage: '/status', help: 'show the gateway status', run: (c) => c.status() },
  // Answered by the runtime (agent-runtime.ts) when skills are wired; this entry lists it in /help.
  use: { usage: '/use <skill> [message]', help: 'use an installed skill for this message, or for your next one (/use clear to cancel)', run: () => 'Skills are not available here.' },
  voice: { usage: '/voice [on|off|auto]', help: 'also speak my answers in this chat (Telegram), or not', run: (c) => c.voice() },
};
const aliases: Record<string, string> = { clear: 'new', reset: 'new', list: 'models', switch: 'model' };

function helpText(): string {
  return ['Commands:', ...Object.values(commands).filter((c) => c.usage !== '/start').map((c) => `${c.usage} — ${c.help}`)].join('\n');
}

/** The command a message invokes, if any: `/name[@bot] args`. */
export function parseCommand(text: string): { name: string; args: string } | undefined {
  const match = /^\/([A-Za-z_]+)(?:@\S+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match) return undefined;
  const name = aliases[match[1]!.toLowerCase()] ?? match[1]!.toLowerCase();
  return name in commands ? { name, args: match[2] ?? '' } : undefined;
}
