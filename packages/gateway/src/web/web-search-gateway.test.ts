/**
 * web_search through an in-process gateway: the fake model calls it, the search goes to the
 * backend the config names (Tavily with its key from .security.yml, a SearXNG on loopback), and
 * the results come back to the model as the tool result. Without a ready backend the model is not
 * offered the tool at all.
 */
import { startFakeLlm, startFakeSearch, type FakeLlm, type FakeSearch } from '@picoclaw/test-fakes';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../testing/start-test-gateway.js';

let llm: FakeLlm | undefined;
let search: FakeSearch | undefined;
let gw: TestGateway | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close());
  await gw?.close();
  await Promise.all([llm?.close(), search?.close()]);
  llm = search = gw = undefined;
});

async function start(web: Record<string, unknown>, security?: string) {
  gw = await startTestGateway({
    config: {
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'openai/gpt-4o-mini', api_base: `${llm!.url}/v1`, api_keys: ['k'] }],
      channel_list: { pico: { enabled: true, type: 'pico', settings: { token: 'pico-token' } } },
      tools: { web },
    },
    security,
  });
  const socket = new WebSocket(`ws://127.0.0.1:${gw.port}/pico/ws?session_id=search`, ['token.pico-token']);
  sockets.push(socket);
  const frames: { type: string; payload?: { content?: string } }[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return async (content: string) => {
    const before = frames.filter((f) => f.type === 'typing.stop').length;
    socket.send(JSON.stringify({ type: 'message.send', id: `q${before}`, payload: { content } }));
    for (let i = 0; i < 250 && frames.filter((f) => f.type === 'typing.stop').length === before; i++) await new Promise((r) => setTimeout(r, 20));
  };
}

const toolNames = (i: number) => llm!.requests[i]!.body.tools?.map((t) => t.function.name) ?? [];

describe('web_search in the gateway', () => {
  it('the model searches through Tavily (key from .security.yml) and reads the results', async () => {
    search = await startFakeSearch({ tavilyKey: 'tvly-gateway-key-1f2e' });
    llm = await startFakeLlm([{ toolCalls: [{ id: 's1', name: 'web_search', arguments: JSON.stringify({ query: 'zigbee coordinator firmware', count: 2, range: 'm' }) }] }, { text: ['Found it.'] }]);
    const ask = await start({ enabled: true, tavily: { enabled: true, base_url: search.urls.tavily } }, 'web:\n  tavily:\n    api_keys: ["tvly-gateway-key-1f2e"]\n');
    await ask('what is the latest zigbee coordinator firmware?');

    expect(toolNames(0)).toContain('web_search');
    expect(search.requests).toHaveLength(1);
    expect(search.requests[0]!.headers.authorization).toBe('Bearer tvly-gateway-key-1f2e');
    expect(search.requests[0]!.body).toMatchObject({ query: 'zigbee coordinator firmware', max_results: 2, time_range: 'month' });
    const result = llm.requests[1]!.body.messages.find((m) => m.role === 'tool' && m.tool_call_id === 's1');
    expect(result?.content).toBe('Results for: zigbee coordinator firmware (via Tavily)\n1. Home Assistant\n   https://www.home-assistant.io/\n   Open source home automation that puts local control and privacy first.\n2. Zigbee2MQTT\n   https://www.zigbee2mqtt.io/\n   Zigbee to MQTT bridge, get rid of your proprietary Zigbee bridges.');
    expect(gw!.logs()).not.toContain('tvly-gateway-key-1f2e');
  });

  it('a SearXNG without JSON: the model is told how to enable it', async () => {
    search = await startFakeSearch({ searxngJson: false });
    llm = await startFakeLlm([{ toolCalls: [{ id: 's1', name: 'web_search', arguments: '{"query":"esphome"}' }] }, { text: ['Search is not working.'] }]);
    const ask = await start({ enabled: true, provider: 'searxng', searxng: { enabled: true, base_url: search.urls.searxng }, duckduckgo: { enabled: true } });
    await ask('search esphome');
    const result = llm.requests[1]!.body.messages.find((m) => m.role === 'tool');
    expect(result?.content).toMatch(/does not serve JSON \(HTTP 403\): enable the JSON format on the instance \(settings\.yml: search: formats: \[html, json\]/);
    expect(search.requests.map((r) => r.backend)).toEqual(['searxng']);
  });

  it('without a ready backend the tool is not offered, and the log says what is missing', async () => {
    llm = await startFakeLlm([{ text: ['Hello.'] }]);
    const ask = await start({ enabled: true, brave: { enabled: true } });
    await ask('hi');
    expect(toolNames(0)).not.toContain('web_search');
    expect(gw!.logs()).toContain('web_search cannot use Brave Search: tools.web.brave.api_keys is empty');
  });
});
