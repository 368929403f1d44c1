import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { channelSchema } from '@picoclaw/core';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Channel, UpgradeHandler } from '../channel.js';
import { createPicoChannel } from './pico-channel.js';

let channel: Channel | undefined;
let server: Server | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await channel?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  channel = server = undefined;
});

/** The pico channel on a real HTTP server, as the gateway mounts it. */
async function start() {
  channel = await createPicoChannel('pico', channelSchema.parse({ type: 'pico', enabled: true, settings: { token: 'pico-token' } }), {});
  let upgrade: UpgradeHandler | undefined;
  await channel.start({ signal: new AbortController().signal, submit: async () => {}, log: () => {}, mountUpgrade: (_path, handler) => (upgrade = handler), afterStart: Promise.resolve() });
  server = createServer();
  server.on('upgrade', (request, socket, head) => upgrade!(request, socket, head));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/pico/ws`;
}

async function connect(url: string, session: string) {
  const ws = new WebSocket(`${url}?session_id=${session}`, { headers: { authorization: 'Bearer pico-token' } });
  sockets.push(ws);
  const frames: { type: string; session_id?: string; payload?: Record<string, unknown> }[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return frames;
}

async function until(check: () => boolean, ms = 3000) {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error('timed out');
}

describe('pico send (schedules speak first)', () => {
  it("pushes a finished assistant message to every socket of the session, and to no other session's", async () => {
    const url = await start();
    const [tab1, tab2, other] = [await connect(url, 'web-abc'), await connect(url, 'web-abc'), await connect(url, 'web-other')];
    await until(() => [tab1, tab2, other].every((f) => f.some((x) => x.type === 'session.ready')));
    expect(channel!.targets!().sort((a, b) => a.to.localeCompare(b.to))).toEqual([
      { to: 'web-abc', label: 'web-abc' },
      { to: 'web-other', label: 'web-other' },
    ]);
    await expect(channel!.send!('pico:web-abc', 'Time for the **meeting**')).resolves.toEqual({ sessionKey: 'pico:web-abc' });
    await until(() => tab1.length === 2 && tab2.length === 2);
    for (const frames of [tab1, tab2]) {
      // The frame the dashboard renders as an assistant message (Chat.tsx: message.create).
      expect(frames[1]).toMatchObject({ type: 'message.create', session_id: 'web-abc', payload: { message_id: expect.any(String), content: 'Time for the **meeting**' } });
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(other.map((f) => f.type)).toEqual(['session.ready']);
    expect(channel!.status().messages.out).toBe(1);
  });

  it('resolves with no socket connected, and rejects an invalid session id', async () => {
    await start();
    await expect(channel!.send!('abc', 'nobody is here')).resolves.toEqual({ sessionKey: 'pico:abc' });
    await expect(channel!.send!('../etc', 'x')).rejects.toThrow(/pico: "..\/etc" is not a session id/);
    await expect(channel!.send!('', 'x')).rejects.toThrow(/is not a session id/);
    expect(channel!.targets!()).toEqual([]);
  });
});
