import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelSchema } from '@picoclaw/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel, ChannelFactory } from '../../channels/channel.js';
import { createChannelManager } from '../../channels/channel-manager.js';
import { createPathPolicy } from '../path-policy.js';
import { createSendFileTool, type FileOutbound } from './send-file-tool.js';

let root: string;
let ws: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'picoclaw-sendfile-'));
  ws = join(root, 'home', 'workspace');
  await mkdir(ws, { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

const tool = (outbound: FileOutbound | undefined, maxBytes = 1000) => {
  const home = join(root, 'home');
  const policy = createPathPolicy({ home, workspace: ws, configPath: join(home, 'config.json'), securityPath: join(home, '.security.yml'), launcherConfigPath: join(home, 'launcher-config.json') });
  return createSendFileTool({ restrictToWorkspace: true, allowReadOutside: false, policy, maxBytes: () => maxBytes, outbound: () => outbound });
};
const ctx = (channel: string, chatId: string) => ({ signal: new AbortController().signal, sessionKey: `${channel}:${chatId}`, channel, chatId, workspace: ws });

describe('send_file', () => {
  it('sends to the turn\'s own channel and chat, capped by max_media_size, and never PicoClaw\'s own files', async () => {
    const sent: { channel: string; chatId: string; filename: string; bytes: Buffer }[] = [];
    const t = tool({ sendFile: async (channel, chatId, file) => void sent.push({ channel, chatId, filename: file.filename, bytes: file.bytes }) });
    await writeFile(join(ws, 'a.txt'), 'hello');
    await writeFile(join(ws, 'big.bin'), Buffer.alloc(2000));
    await writeFile(join(root, 'home', '.security.yml'), 'secret: x');
    expect(await t.execute({ path: 'a.txt', filename: '../.evil' }, ctx('telegram', '42'))).toEqual({ content: 'File "evil" sent to user' });
    expect(sent).toEqual([{ channel: 'telegram', chatId: '42', filename: 'evil', bytes: Buffer.from('hello') }]);
    expect(await t.execute({ path: 'big.bin' }, ctx('telegram', '42'))).toMatchObject({ isError: true, content: 'big.bin is 2 KB; send_file sends up to 1 KB (agents.defaults.max_media_size)' });
    expect(await t.execute({ path: '../.security.yml' }, ctx('telegram', '42'))).toMatchObject({ isError: true, content: expect.stringMatching(/^access denied/) });
    expect(sent).toHaveLength(1);
  });

  it('answers for a channel that cannot receive files (pico) that the user should be told where the file is', async () => {
    const factory: ChannelFactory = (name, config) =>
      ({ name, type: config.type, start: async () => {}, stop: async () => {}, status: () => ({ state: 'running', messages: { in: 0, out: 0 } }) }) satisfies Channel;
    const manager = createChannelManager({ factories: { pico: factory }, submit: async () => {}, mountUpgrade: () => {}, log: () => {} });
    await manager.start({ pico: channelSchema.parse({ type: 'pico', enabled: true, settings: { token: 't' } }) });
    await writeFile(join(ws, 'a.txt'), 'hello');
    expect(await tool(manager).execute({ path: 'a.txt' }, ctx('pico', 'pico:abc'))).toEqual({
      content: 'this chat (pico) cannot receive files yet; tell the user where the file is (a.txt)',
      isError: true,
    });
    await manager.stop();
  });
});
