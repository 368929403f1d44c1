/**
 * Files on Telegram, end to end in one process: a document pushed on the fake Bot API is checked
 * against agents.defaults.max_media_size, downloaded from its file endpoint into
 * <workspace>/media/inbox and announced to the fake LLM; the send_file tool sends a workspace
 * file back with sendDocument, and only what the path policy lets read_file read.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeLlm, FakeTelegram, FakeTurn } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionFileName } from '../../sessions/jsonl-session-store.js';
import type { TestGateway } from '../../testing/start-test-gateway.js';
import { startTelegramHarness, type TelegramHarness } from '../../testing/telegram-harness.js';

let h: TelegramHarness | undefined;
let tg: FakeTelegram | undefined;
let llm: FakeLlm | undefined;
let gw: TestGateway | undefined;
let ws: string;
afterEach(async () => {
  await h?.close();
  h = tg = llm = gw = undefined;
});

async function start(turns: FakeTurn[] = [], defaults: Record<string, unknown> = {}) {
  h = await startTelegramHarness({ turns, defaults });
  ({ tg, llm, gw, workspace: ws } = h);
}

const until = <T,>(check: () => T | undefined | false) => h!.until(check);
const texts = () => h!.texts();
const userMessages = () => h!.userMessages();
const toolResults = () => h!.toolResults();
const today = () => new Date().toISOString().slice(0, 10);

describe('Telegram documents', () => {
  it('a document lands in media/inbox with its bytes (0600) and the model is told where, then the caption', async () => {
    await start();
    const bytes = Buffer.from('%PDF-1.4 a report\n'.repeat(100));
    tg!.pushDocument(tg!.addFile(bytes, 'documents/file_1.pdf'), { file_name: 'report.pdf', mime_type: 'application/pdf', caption: 'summarise this' });
    await until(() => texts().some((t) => t.startsWith('you said:')));
    const path = `media/inbox/${today()}-report.pdf`;
    expect(userMessages()).toEqual([`[file received: ${path} (2 KB, application/pdf)]\n\nsummarise this`]);
    expect((await readFile(join(ws, path))).equals(bytes)).toBe(true);
    expect((await stat(join(ws, path))).mode & 0o777).toBe(0o600);
    expect(tg!.downloads).toEqual(['documents/file_1.pdf']);
    expect(gw!.logs()).not.toContain(tg!.token);
  });

  it('a name like ../../etc/passwd or .bashrc is made safe', async () => {
    await start();
    tg!.pushDocument(tg!.addFile(Buffer.from('root:x:0:0'), 'documents/file_1.txt'), { file_name: '../../etc/passwd' });
    await until(() => userMessages().length === 1);
    tg!.pushDocument(tg!.addFile(Buffer.from('alias x=y'), 'documents/file_2.txt'), { file_name: '.bashrc' });
    await until(() => userMessages().length === 2);
    expect((await readdir(join(ws, 'media', 'inbox'))).sort()).toEqual([`${today()}-bashrc`, `${today()}-passwd`]);
    expect(userMessages()[0]).toBe(`[file received: media/inbox/${today()}-passwd (1 KB)]`);
    expect(await readFile(join(ws, 'media', 'inbox', `${today()}-passwd`), 'utf8')).toBe('root:x:0:0');
  });

  it('over agents.defaults.max_media_size: a clear reply, and the file is never fetched', async () => {
    await start([], { max_media_size: 1000 });
    tg!.pushDocument(tg!.addFile(Buffer.alloc(5000, 1), 'documents/file_1.bin'), { file_name: 'big.bin' });
    await until(() => texts().length === 1);
    expect(texts()).toEqual(['That file is 5 KB; I accept files up to 1 KB (agents.defaults.max_media_size).']);
    expect(tg!.calls.some((c) => c.method === 'getFile')).toBe(false);
    expect(llm!.requests).toHaveLength(0);
  });

  it('a file larger than Telegram announced is cut off at the limit while downloading, and nothing is stored', async () => {
    await start([], { max_media_size: 1000 });
    tg!.pushDocument(tg!.addFile(Buffer.alloc(5000, 1), 'documents/file_1.bin'), { file_name: 'liar.bin', file_size: 500 });
    await until(() => texts().length === 1);
    expect(texts()).toEqual(['I could not receive that file: it is larger than 1 KB (agents.defaults.max_media_size).']);
    expect(await readdir(join(ws, 'media', 'inbox')).catch(() => [])).toEqual([]);
    expect(llm!.requests).toHaveLength(0);
  });

  it('a download that fails gets a reply without the token, and nothing reaches the model', async () => {
    await start();
    const id = tg!.addFile(Buffer.from('x'), 'documents/file_1.txt');
    tg!.loseFile(id);
    tg!.pushDocument(id, { file_name: 'a.txt' });
    await until(() => texts().length === 1);
    expect(texts()[0]).toBe('I could not receive that file: downloading it from Telegram failed (HTTP 404).');
    expect(llm!.requests).toHaveLength(0);
    expect(JSON.stringify(tg!.calls.map((c) => c.body)) + gw!.logs()).not.toContain(tg!.token);
  });
});

describe('send_file on Telegram', () => {
  const call = (id: string, args: Record<string, unknown>) => ({ id, name: 'send_file', arguments: JSON.stringify(args) });

  it("sends a workspace file's exact bytes to the turn's own chat with sendDocument", async () => {
    await start([{ toolCalls: [call('c1', { path: 'out/plot.png', filename: 'chart.png' })] }, { text: ['sent'] }]);
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255, 13, 10]);
    await mkdir(join(ws, 'out'));
    await writeFile(join(ws, 'out', 'plot.png'), bytes);
    tg!.pushMessage('send me the plot');
    await until(() => texts().includes('sent'));
    const docs = tg!.documents();
    expect(docs).toHaveLength(1);
    expect(docs[0]!.chat_id).toBe(42);
    expect(docs[0]!.filename).toBe('chart.png');
    expect(docs[0]!.bytes.equals(bytes)).toBe(true);
    expect(toolResults()).toEqual(['File "chart.png" sent to user']);
  });

  it('is capped by agents.defaults.max_media_size, and a reload of it applies', async () => {
    await start([{ toolCalls: [call('c1', { path: 'big.bin' })] }, { text: ['too big'] }, { toolCalls: [call('c2', { path: 'big.bin' })] }, { text: ['sent'] }], { max_media_size: 1000 });
    await writeFile(join(ws, 'big.bin'), Buffer.alloc(3000, 7));
    tg!.pushMessage('send big.bin');
    await until(() => texts().includes('too big'));
    expect(toolResults()).toEqual(['big.bin is 3 KB; send_file sends up to 1 KB (agents.defaults.max_media_size)']);
    const config = JSON.parse(await readFile(join(gw!.home, 'config.json'), 'utf8')) as { agents: { defaults: Record<string, unknown> } };
    config.agents.defaults.max_media_size = 4000;
    await writeFile(join(gw!.home, 'config.json'), JSON.stringify(config));
    expect((await fetch(`${gw!.base}/reload`, { method: 'POST', headers: { authorization: 'Bearer control-token' } })).status).toBe(200);
    tg!.pushMessage('send big.bin again');
    await until(() => texts().includes('sent'));
    expect(tg!.documents().map((d) => d.bytes.length)).toEqual([3000]);
  });

  it('refuses a path outside the workspace, a session file and cron/jobs.json (the path policy), sending nothing', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'picoclaw-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'secret');
    try {
      await start([{ text: ['first'] }, { toolCalls: [call('c1', { path: join(outside, 'secret.txt') }), call('c2', { path: '../../../../../../../etc/hostname' }), call('c3', { path: `sessions/${sessionFileName('telegram:42')}.jsonl` }), call('c4', { path: 'cron/jobs.json' })] }, { text: ['done'] }]);
      tg!.pushMessage('hello');
      await until(() => texts().includes('first'));
      // The session file the third call names exists now; so does a jobs file.
      await stat(join(ws, 'sessions', `${sessionFileName('telegram:42')}.jsonl`));
      await mkdir(join(ws, 'cron'), { recursive: true });
      await writeFile(join(ws, 'cron', 'jobs.json'), '{"jobs":[]}');
      tg!.pushMessage('send the files');
      await until(() => texts().includes('done'));
      const results = toolResults();
      expect(results).toHaveLength(4);
      expect(results[0]).toMatch(/^access denied: .*outside the workspace/);
      expect(results[1]).toMatch(/^access denied: .*outside the workspace/);
      expect(results[2]).toMatch(/^access denied: sessions\/.* holds conversations/);
      expect(results[3]).toMatch(/^access denied: cron\/jobs.json holds scheduled jobs/);
      expect(tg!.documents()).toHaveLength(0);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
