/**
 * The one system message, kept small: identity, workspace and rules, long-term memory, the
 * current time and where the message came from. Tool definitions travel separately.
 */
import { readFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { memoryExcerpt } from '../memory/memory-excerpt.js';

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
  /** The `# Skills` catalog (skills/skill-prompt.ts); absent when no skill is installed. */
  skills?: string;
  /** The `# Active Skills` block of a skill forced with /use. */
  activeSkill?: string;
}

const MAX_MEMORY_CHARS = 8_000;

/**
 * The workspace files are read for every turn; within a couple of seconds they are taken from
 * memory, so a burst of messages does not queue file reads behind the session store's fsyncs.
 * An edit shows from the next turn after that.
 */
const FRESH_MS = 2_000;
// toLocaleDateString builds an ICU formatter on every call: about half a millisecond per turn.
/** Asked for at the first prompt, not at start-up: ICU's zone data costs ~120 M instructions (~30 ms) to load. */
let zone: string | undefined;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const cache = new Map<string, { at: number; text: Promise<string | undefined> }>();

function readOptional(path: string, limit: number, shape?: (text: string) => string | undefined): Promise<string | undefined> {
  const key = shape ? `${path}\0${shape.name}` : path;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.text;
  const text = readFile(path, 'utf8').then(
    (raw) => {
      if (shape) return shape(raw);
      const trimmed = raw.trim();
      if (!trimmed) return undefined;
      return trimmed.length > limit ? `${trimmed.slice(0, limit)}\n[… truncated]` : trimmed;
    },
    () => undefined,
  );
  if (cache.size > 64) cache.clear(); // several workspaces at most; never grows unbounded
  cache.set(key, { at: Date.now(), text });
  return text;
}

const withTool = (text: string) => memoryExcerpt(text, { tool: true });
const withoutTool = (text: string) => memoryExcerpt(text, { tool: false });

export async function buildSystemPrompt(context: PromptContext): Promise<string> {
  const ws = context.workspace;
  const rules = context.hasTools
    ? [
        '**ALWAYS use tools** - When you need to perform an action (control a device, remember something, read a file), you MUST call the appropriate tool. Do NOT just say you did it.',
        '**Be helpful and accurate** - When using tools, briefly say what you did. Keep answers short: people read them on phones and small devices.',
        '**Context summaries** - Summaries of earlier conversation are approximate; always defer to explicit user instructions.',
        // PicoClaw's 4th rule ("update MEMORY.md") is the memory tool's own description here.
      ]
    : ['**Be helpful and accurate** - Keep answers short: people read them on phones and small devices.'];
  const parts = [
    [`# picoclaw 🦞 (${context.version})`, '', 'You are picoclaw, a helpful AI assistant running in a homelab.', '', '## Workspace', `Your workspace is at: ${ws}`, '', '## Important Rules', '', rules.map((r, i) => `${i + 1}. ${r}`).join('\n\n')].join('\n'),
  ];
  const files = ['AGENT.md', 'SOUL.md', 'USER.md'] as const;
  // MEMORY.md: its beginning only (memory-excerpt.ts); the rest, and the daily notes, are searched.
  const excerpt = context.hasTools ? withTool : withoutTool;
  const [bodies, memory] = await Promise.all([Promise.all(files.map((file) => readOptional(join(ws, file), MAX_MEMORY_CHARS))), readOptional(join(ws, 'memory', 'MEMORY.md'), 0, excerpt)]);
  files.forEach((file, i) => {
    const body = bodies[i];
    if (body) parts.push(`## ${file}\n\n${body.replace(/^---\n[\s\S]*?\n---\n/, '')}`);
  });
  if (context.skills) parts.push(context.skills);
  if (memory) parts.push(`# Memory\n\n## Long-term Memory\n\n${memory}`);
  if (context.activeSkill) parts.push(context.activeSkill);
  const d = context.now;
  const pad = (n: number) => String(n).padStart(2, '0');
  // The zone is named: the model gives the cron tool local times and expressions in it.
  const when = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} (${WEEKDAYS[d.getDay()]}, ${(zone ??= Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC')})`;
  let dynamic = `## Current Time\n${when}\n\n## Runtime\n${platform()} ${arch()}, Node ${process.versions.node}\n\n## Current Session\nChannel: ${context.channel}\nChat ID: ${context.chatId}`;
  if (context.senderId) dynamic += `\n\n## Current Sender\nCurrent sender: ${context.senderName ?? context.senderId} (ID: ${context.senderId})`;
  parts.push(dynamic);
  if (context.summary) {
    parts.push(`CONTEXT_SUMMARY: The following is an approximate summary of prior conversation for reference only. It may be incomplete or outdated — always defer to explicit instructions.\n\n${context.summary}`);
  }
  return parts.join('\n\n---\n\n');
}
