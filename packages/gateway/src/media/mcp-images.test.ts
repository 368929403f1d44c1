/**
 * An MCP tool that returns an image (a Home Assistant camera snapshot, on the fake HA's real MCP
 * server) through a real gateway: the vision model sees it as an image part, the session keeps
 * its path, and a text-only model is told it cannot be shown instead of being sent it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makePng, startFakeHomeAssistant, startFakeLlm, type FakeHomeAssistant, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import { openPicoChat, type PicoChat } from '../testing/pico-chat.js';
import { startTestGateway, type TestGateway } from '../testing/start-test-gateway.js';

let llm: FakeLlm | undefined;
let ha: FakeHomeAssistant | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  await Promise.all([llm?.close(), ha?.close()]);
  llm = ha = gw = undefined;
});

const snapshot = makePng(4, 4, { rgb: [0, 128, 255] });

async function setUp(model: string) {
  llm = await startFakeLlm([{ toolCalls: [{ id: 'c1', name: 'mcp_homeassistant_camerasnapshot', arguments: '{"name":"garage"}' }] }, { text: ['The garage door is open.'] }]);
  ha = await startFakeHomeAssistant({ camera: snapshot });
  gw = await startTestGateway({
    config: {
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model, api_base: `${llm.url}/v1`, api_keys: ['k'] }],
      channel_list: { pico: { enabled: true, type: 'pico', settings: { token: 'pico-token' } } },
      tools: { mcp: { enabled: true, servers: { homeassistant: { type: 'http', url: ha.url, headers: { Authorization: `Bearer ${ha.token}` } } } } },
    },
  });
  for (let i = 0; i < 250 && !(await (await fetch(`${gw.base}/status`, { headers: { authorization: 'Bearer control-token' } })).text()).includes('camerasnapshot'); i++) await new Promise((r) => setTimeout(r, 20));
  const chat = await openPicoChat(gw.port, 'pico-token', 'cam');
  const ask = (content: string) => chat.ask(content);
  chats.push(chat);
  await ask('Is the garage door open?');
  return { model: llm, ask };
}
const chats: PicoChat[] = [];
afterEach(() => chats.splice(0).forEach((c) => c.close()));

describe('images from MCP tools', () => {
  it('a camera snapshot reaches a vision model as an image part after the tool result, and the session keeps its path', async () => {
    const { model, ask } = await setUp('openai/gpt-4o');
    expect(model.requests).toHaveLength(2);
    const messages = model.requests[1]!.body.messages;
    expect(messages.at(-2)).toMatchObject({ role: 'tool', content: expect.stringContaining('snapshot of garage') });
    expect(messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'text', text: '[Loaded image from tool result above]' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${snapshot.toString('base64')}` } }],
    });
    const dir = join(gw!.home, 'workspace', 'sessions');
    const session = await readFile(join(dir, (await readdir(dir)).find((f) => f.endsWith('.jsonl'))!), 'utf8');
    const tool = session.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { role: string; media?: string[] }).find((m) => m.role === 'tool')!;
    expect(tool.media).toEqual([expect.stringMatching(/^media\/images\/[0-9a-f]{32}\.png$/)]);
    expect(await readFile(join(gw!.home, 'workspace', tool.media![0]!))).toEqual(snapshot);
    expect(session).not.toContain(snapshot.toString('base64'));

    // A later turn: the history carries the path as a tag, not the picture; load_image, offered
    // now that the chat has an image, shows it again.
    expect(model.requests[0]!.body.tools?.map((t) => t.function.name)).not.toContain('load_image');
    model.push({ toolCalls: [{ id: 'c2', name: 'load_image', arguments: JSON.stringify({ path: tool.media![0] }) }] }, { text: ['Still blue.'] });
    await ask('Look again: what colour was it?');
    const again = model.requests[2]!.body;
    expect(again.tools?.map((t) => t.function.name)).toContain('load_image');
    expect(JSON.stringify(again.messages)).toContain(`[image: ${tool.media![0]}]`);
    expect(JSON.stringify(again.messages)).not.toContain('image_url');
    expect(model.requests[3]!.body.messages.at(-1)).toMatchObject({ role: 'user', content: [{ text: '[Loaded image from tool result above]' }, { image_url: { url: `data:image/png;base64,${snapshot.toString('base64')}` } }] });
  });

  it('a text-only model is not sent the image; the tool result says no vision model is configured', async () => {
    const { model } = await setUp('groq/llama-3.3-70b-versatile');
    const messages = model.requests[1]!.body.messages;
    expect(messages.at(-1)).toMatchObject({ role: 'tool', content: expect.stringContaining('no vision model is configured') });
    expect(JSON.stringify(messages)).not.toContain('image_url');
  });
});
