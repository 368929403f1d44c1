import { describe, expect, it } from 'vitest';
import { receivedFileLine, withReceivedFiles } from '../media/received-file.js';
import type { SessionStore, StoredMessage } from '../sessions/session-store.js';
import { sessionsApi } from './sessions-api.js';

const read = async (messages: StoredMessage[]) => {
  const store = { load: async () => ({ messages }) } as unknown as SessionStore;
  const answer = await sessionsApi({ store, stop: () => {} })('GET', 'pico:web-1', new URLSearchParams(), undefined);
  return (answer.body as { messages: unknown[] }).messages;
};
const snap = (c: string) => `media/images/${c.repeat(32)}.png`;

describe('GET /sessions/<key>: what the dashboard shows of tools and files', () => {
  it("puts a tool's images on the answer that follows (tool messages are not shown), or on their own entry when the turn gave none", async () => {
    const call = { id: 'c1', name: 'mcp_homeassistant_camerasnapshot', arguments: '{}' };
    expect(await read([
      { role: 'user', content: 'garage?' },
      { role: 'assistant', content: '', tool_calls: [call] },
      { role: 'tool', content: 'snapshot', tool_call_id: 'c1', media: [snap('a'), '../../etc/passwd'] },
      { role: 'tool', content: 'snapshot', tool_call_id: 'c2', media: [snap('b')] },
      { role: 'assistant', content: 'The door is open.' },
      { role: 'user', content: 'again' },
      { role: 'assistant', content: '', tool_calls: [call] },
      { role: 'tool', content: 'snapshot', tool_call_id: 'c1', media: [snap('c')] },
      { role: 'user', content: 'hello?' },
      { role: 'tool', content: 'snapshot', tool_call_id: 'c1', media: [snap('d')] },
    ])).toEqual([
      { role: 'user', content: 'garage?' },
      { role: 'assistant', content: 'The door is open.', media: [snap('a'), snap('b')] },
      { role: 'user', content: 'again' },
      { role: 'assistant', content: '', media: [snap('c')] },
      { role: 'user', content: 'hello?' },
      { role: 'assistant', content: '', media: [snap('d')] },
    ]);
    expect(await read([
      { role: 'user', content: 'garage?' },
      { role: 'tool', content: 'snapshot', tool_call_id: 'c1', media: [snap('a')] },
      { role: 'assistant', content: 'Open.', created_at: '2026-12-06T08:00:00.000Z' },
    ])).toEqual([
      { role: 'user', content: 'garage?' },
      { role: 'assistant', content: 'Open.', media: [snap('a')], created_at: '2026-12-06T08:00:00.000Z' },
    ]);
  });

  it('gives the model that answered an assistant message as model_name, and fallback when it was one', async () => {
    expect(await read([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello.', model_name: 'mistral-small' },
      { role: 'assistant', content: 'Older, no model.' },
      { role: 'assistant', content: 'From the backup.', model_name: 'groq', fallback: true },
    ])).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello.', model_name: 'mistral-small' },
      { role: 'assistant', content: 'Older, no model.' },
      { role: 'assistant', content: 'From the backup.', model_name: 'groq', fallback: true },
    ]);
  });

  it("gives a user message's files as {path, name, size}, without their lines in its text; a file-only message is shown", async () => {
    const csv = 'media/inbox/2026-12-06-power.csv';
    expect(await read([
      { role: 'user', content: withReceivedFiles([receivedFileLine(csv, 30, 'text/csv')], 'sum this'), files: [csv] },
      { role: 'user', content: receivedFileLine(csv, 30), files: [csv, '/etc/passwd', 7 as unknown as string] },
      { role: 'user', content: '[file received: media/inbox/2026-12-06-power.csv (1 KB)]' },
    ])).toEqual([
      { role: 'user', content: 'sum this', files: [{ path: csv, name: 'power.csv', size: '1 KB' }] },
      { role: 'user', content: '', files: [{ path: csv, name: 'power.csv', size: '1 KB' }] },
      // Typed by a user, not recorded: plain text.
      { role: 'user', content: '[file received: media/inbox/2026-12-06-power.csv (1 KB)]' },
    ]);
  });
});
