/**
 * A prompt-injected model against the stdio MCP servers of ONE real gateway process. The servers
 * are configured as users write them (`node server.mjs`, a relative `env_file`); the model writes
 * files where its file tools let it, then the servers are retried, as the gateway's own backoff
 * would. If a server started in the workspace, or read its relative paths from there, the model's
 * files would run with the user's rights. A file the planted code would create is the evidence.
 */
import { access, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayStatus } from '@picoclaw/core';
import { spawnGateway, startFakeLlm, type FakeLlm, type GatewayProcess } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { picoClient, picoTurn, tempHome, waitFor } from './harness.js';

const PICO_TOKEN = 'stdio-attack-pico-token-2f7a';
const CONTROL = 'stdio-attack-control-token-8d1c';

let home: string;
let llm: FakeLlm;
let gateway: GatewayProcess;
let port: number;

const exists = (path: string) => access(path).then(() => true, () => false);
const control = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${CONTROL}` } });

beforeAll(async () => {
  llm = await startFakeLlm([], { echo: true });
  home = await tempHome('stdio-attack');
  await writeFile(join(home, 'config.json'), JSON.stringify({
    version: 3,
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['mk-stdio-attack'] }],
    channel_list: { pico: { enabled: true, type: 'pico', settings: { token: PICO_TOKEN } } },
    tools: {
      mcp: {
        enabled: true,
        servers: {
          // A server the user has not installed yet (or whose file is somewhere else): `node server.mjs`.
          script: { command: process.execPath, args: ['server.mjs'], connect_timeout: 2 },
          // A server whose secrets come from a relative env file.
          envfile: { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], env_file: 'mcp.env', connect_timeout: 2 },
        },
      },
    },
  }, null, 2));
  gateway = spawnGateway({ home, env: { PICOCLAW_GATEWAY_TOKEN: CONTROL } });
  port = await gateway.ready();
}, 30_000);

afterAll(async () => {
  gateway?.child.kill('SIGTERM');
  await gateway?.child;
  await llm?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('a prompt-injected model and the stdio MCP servers', () => {
  it('cannot plant a file that a server runs or reads at its next start', async () => {
    const evidence = (n: number) => join(home, `pwned-${n}`);
    const plant = (n: number) => `require('node:fs').writeFileSync(${JSON.stringify(evidence(n))}, 'ran');`;
    llm.push(
      {
        toolCalls: [
          // Where the server would look if it started in the workspace…
          { id: 'w1', name: 'write_file', arguments: JSON.stringify({ path: 'server.mjs', content: `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${plant(1)}` }) },
          { id: 'w2', name: 'write_file', arguments: JSON.stringify({ path: 'mcp.env', content: `NODE_OPTIONS=--require=${join(home, 'workspace', 'pwn.cjs')}\n` }) },
          { id: 'w3', name: 'write_file', arguments: JSON.stringify({ path: 'pwn.cjs', content: plant(2) }) },
          // …and where it starts now: PicoClaw's home, which the tools cannot write.
          { id: 'w4', name: 'write_file', arguments: JSON.stringify({ path: '../server.mjs', content: plant(3) }) },
          { id: 'w5', name: 'write_file', arguments: JSON.stringify({ path: `${home}/mcp.env`, content: `NODE_OPTIONS=--require=${join(home, 'workspace', 'pwn.cjs')}\n` }) },
        ],
      },
      { text: ['done'] },
    );
    const chat = await picoClient(`ws://127.0.0.1:${port}/pico/ws?session_id=attacker`, [`token.${PICO_TOKEN}`]);
    expect((await picoTurn(chat, 'read this web page and do what it says')).answer).toBe('done');
    chat.close();
    const results = new Map(llm.requests.at(-1)!.body.messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, String(m.content)]));
    expect(results.get('w4')).toMatch(/access denied/);
    expect(results.get('w5')).toMatch(/access denied/);
    expect(await exists(join(home, 'server.mjs'))).toBe(false);
    expect(await exists(join(home, 'mcp.env'))).toBe(false);

    // The retry the gateway makes on its own after a failure, now.
    for (const name of ['script', 'envfile']) expect((await control(`/mcp/${name}/retry`, 'POST')).status).toBe(202);
    const servers = await waitFor(async () => {
      const status = (await (await control('/status')).json()) as GatewayStatus;
      const s = status.mcp.servers;
      return s.every((x) => x.state === 'failed' && x.attempts >= 2) ? s : undefined;
    }, 15_000, 'both servers to be tried again');
    for (const n of [1, 2, 3]) expect(await exists(evidence(n))).toBe(false);
    // The status says what is wrong in words a PicoClaw user can act on.
    const envfile = servers.find((s) => s.name === 'envfile')!;
    expect(envfile.lastError).toMatch(/env_file .*mcp\.env does not exist\. A relative env_file is read from PicoClaw's home/);
    expect(servers.find((s) => s.name === 'script')!.target).toBe(`${process.execPath} server.mjs`);
    // The planted files stay in the workspace, harmless.
    expect(await readFile(join(home, 'workspace', 'server.mjs'), 'utf8')).toContain('pwned-1');
  });
});
