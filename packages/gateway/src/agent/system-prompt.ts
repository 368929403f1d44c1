/**
 * The one system message, kept small: identity, workspace and rules, long-term memory, the
 * current time and where the message came from. Tool definitions travel separately.
 */
import { readFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';

export interface PromptContext {
  workspace: string;
  channel: string;
  chatId: string;
  senderName?: string;
  senderId?: string;
  hasTools: boolean;
  summary?: string;
  now: Date;
  version: string;
}

const MAX_MEMORY_CHARS = 8_000;

async function readOptional(path: string, limit: number): Promise<string | undefined> {
  const text = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (!text) return undefined;
  return text.length > limit ? `${text.slice(0, limit)}\n[… truncated]` : text;
}

export async function buildSystemPrompt(context: PromptContext): Promise<string> {
  const ws = context.workspace;
  const rules = context.hasTools
    ? [
        '**ALWAYS use tools** - When you need to perform an action (control a device, remember something, read a file), you MUST call the appropriate tool. Do NOT just say you did it.',
        '**Be helpful and accurate** - When using tools, briefly say what you did. Keep answers short: people read them on phones and small devices.',
        '**Context summaries** - Summaries of earlier conversation are approximate; always defer to explicit user instructions.',
        `**Memory** - When something seems worth remembering, append it to ${join(ws, 'memory/MEMORY.md')}.`,
      ]
    : ['**Be helpful and accurate** - Keep answers short: people read them on phones and small devices.'];
  const parts = [
    [`# picoclaw 🦞 (${context.version})`, '', 'You are picoclaw, a helpful AI assistant running in a homelab.', '', '## Workspace', `Your workspace is at: ${ws}`, '', '## Important Rules', '', rules.map((r, i) => `${i + 1}. ${r}`).join('\n\n')].join('\n'),
  ];
  for (const file of ['AGENT.md', 'SOUL.md', 'USER.md']) {
    const body = await readOptional(join(ws, file), MAX_MEMORY_CHARS);
    if (body) parts.push(`## ${file}\n\n${body.replace(/^---\n[\s\S]*?\n---\n/, '')}`);
  }
  const memory = await readOptional(join(ws, 'memory', 'MEMORY.md'), MAX_MEMORY_CHARS);
  if (memory) parts.push(`# Memory\n\n## Long-term Memory\n\n${memory}`);
  const d = context.now;
  const pad = (n: number) => String(n).padStart(2, '0');
  const when = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} (${d.toLocaleDateString('en-US', { weekday: 'long' })})`;
  let dynamic = `## Current Time\n${when}\n\n## Runtime\n${platform()} ${arch()}, Node ${process.versions.node}\n\n## Current Session\nChannel: ${context.channel}\nChat ID: ${context.chatId}`;
  if (context.senderId) dynamic += `\n\n## Current Sender\nCurrent sender: ${context.senderName ?? context.senderId} (ID: ${context.senderId})`;
  parts.push(dynamic);
  if (context.summary) {
    parts.push(`CONTEXT_SUMMARY: The following is an approximate summary of prior conversation for reference only. It may be incomplete or outdated — always defer to explicit instructions.\n\n${context.summary}`);
  }
  return parts.join('\n\n---\n\n');
}
