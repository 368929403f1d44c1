/**
 * The gateway process itself as the fault: SIGTERM and SIGKILL in the middle of a slowly streamed
 * turn, then a torn last line left in a session file (as a crash during an append would leave
 * it). Checked afterwards: the exit code and time, every line of the session files, the history
 * the model receives on the next turn, and a second session that must come through untouched.
 */
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnGateway, startFakeLlm, type FakeLlm, type GatewayProcess } from '@picoclaw/test-fakes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyProblems, picoClient, picoTurn, readSession, sessionPath, tempHome, waitFor, type PicoClient } from './harness.js';

const PICO_TOKEN = 'faults-process-pico-token-c4a9';
const API_KEY = 'mk-faults-process-key';
const TORN = '{"role":"assistant","content":"half-writ';

let home: string;
let llm: FakeLlm;
let gateway: GatewayProcess | undefined;
let port: number;
const sockets: PicoClient[] = [];

async function start() {
  gateway = spawnGateway({ home });
  port = await gateway.ready();
}
async function openPico(session: string) {
  const client = await picoClient(`ws://127.0.0.1:${port}/pico/ws?session_id=${session}`, [`token.${PICO_TOKEN}`]);
  sockets.push(client);
  return client;
}
/** Sends a message and resolves once the model has streamed `chunks` pieces of the answer. */
async function midTurn(session: string, text: string, chunks: number) {
  const client = await openPico(session);
  const served = llm.served;
  client.socket.send(JSON.stringify({ type: 'message.send', payload: { content: text } }));
  await waitFor(() => llm.served > served || undefined, 10_000, 'the model request');
  await waitFor(() => client.frames.filter((f) => f.type === 'message.update' || f.type === 'message.create').length >= chunks || undefined, 10_000, `${chunks} streamed chunks`);
  return client;
}

beforeAll(async () => {
  llm = await startFakeLlm([], { echo: true });
  home = await tempHome('faults-process');
  await writeFile(join(home, 'config.json'), JSON.stringify({
    version: 3,
    agents: { defaults: { model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_base: `${llm.url}/v1`, api_keys: ['[NOT_HERE]'] }],
    channel_list: { pico: { enabled: true, type: 'pico', settings: { token: '[NOT_HERE]' } } },
  }, null, 2));
  await writeFile(join(home, '.security.yml'), `model_list:\n  m:\n    api_keys: ["${API_KEY}"]\nchannel_list:\n  pico:\n    settings:\n      token: ${PICO_TOKEN}\n`);
  await start();
}, 30_000);

afterAll(async () => {
  for (const client of sockets) client.close();
  gateway?.child.kill('SIGKILL');
  await gateway?.child;
  await llm?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('gateway stopped or killed mid-turn', () => {
  let otherBytes: string;

  it('SIGTERM during a streamed turn: exit 0 within 15 s, the turn finished or marked stopped, session valid', async () => {
    const other = await openPico('other');
    expect((await picoTurn(other, 'keep me')).answer).toBe('you said: keep me');
    otherBytes = await readFile(sessionPath(home, 'pico:other'), 'utf8');

    llm.push({ text: ['one ', 'two ', 'three ', 'four ', 'five'], delayMs: 500 });
    await midTurn('term', 'count slowly', 2);
    const signalled = Date.now();
    // Sent directly: execa's own kill() would follow up with SIGKILL after 5 s.
    process.kill(gateway!.child.pid!, 'SIGTERM');
    const result = await gateway!.child;
    const took = Date.now() - signalled;
    expect(result.exitCode).toBe(0);
    expect(took).toBeLessThan(15_000);
    expect(gateway!.output()).toMatch(/gateway stopped/);
    await expect(readFile(join(home, '.picoclaw.pid'))).rejects.toThrow();

    const session = await readSession(home, 'pico:term');
    expect(session.torn).toEqual([]);
    expect(session.endsClean).toBe(true);
    expect(session.messages[0]).toMatchObject({ role: 'user', content: 'count slowly' });
    // Either the turn finished within the grace period or what was streamed is kept as stopped.
    expect(session.messages.slice(1).map((m) => m.content)).toEqual([expect.stringMatching(/^one two three four five$|^one .*\[stopped\]$/)]);
    expect(await readFile(sessionPath(home, 'pico:other'), 'utf8')).toBe(otherBytes);
    console.log(`SIGTERM mid-turn: exit ${result.exitCode} after ${took} ms; stored answer: ${JSON.stringify(session.messages[1]?.content)}`);
  }, 30_000);

  it('SIGTERM during a turn longer than the 10 s grace: the turn is stopped, its streamed part kept as [stopped], exit 0 within 20 s', async () => {
    await start();
    llm.push({ text: Array.from({ length: 30 }, (_, i) => `w${i} `), delayMs: 1_000 });
    const client = await midTurn('term-long', 'talk for half a minute', 2);
    const signalled = Date.now();
    // Sent directly: execa's own kill() would follow up with SIGKILL after 5 s.
    process.kill(gateway!.child.pid!, 'SIGTERM');
    const result = await gateway!.child;
    const took = Date.now() - signalled;
    expect(result.exitCode, gateway!.output().split('\n').slice(-15).join('\n')).toBe(0);
    // The gateway's own deadline: 10 s for the turns, then a forced exit at 20 s.
    expect(took).toBeLessThan(20_000);
    expect(gateway!.output()).toMatch(/stopping 1 turn\(s\) still running/);
    const session = await readSession(home, 'pico:term-long');
    expect(session.torn).toEqual([]);
    expect(session.endsClean).toBe(true);
    expect(session.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(String(session.messages[1]!.content)).toMatch(/^w0 w1 .*\[stopped\]$/);
    // The browser was told the answer stopped.
    expect(client.frames.some((f) => f.type === 'message.update' && f.payload?.stopped === true)).toBe(true);
    expect(await readFile(sessionPath(home, 'pico:other'), 'utf8')).toBe(otherBytes);
    console.log(`SIGTERM past the grace: exit ${result.exitCode} after ${took} ms; stored: ${JSON.stringify(session.messages[1]!.content)}`);
  }, 45_000);

  it('SIGKILL during a streamed turn, then a torn last line: every complete line parses, the next turn works with a well-formed history', async () => {
    await start();
    llm.push({ text: ['never ', 'finished ', 'at ', 'all'], delayMs: 1_000 });
    await midTurn('kill', 'first', 1);
    gateway!.child.kill('SIGKILL');
    const result = await gateway!.child;
    expect(result.signal).toBe('SIGKILL');

    const killed = await readSession(home, 'pico:kill');
    expect(killed.torn).toEqual([]);
    expect(killed.endsClean).toBe(true);
    expect(killed.messages.map((m) => m.role)).toEqual(['user']);
    // What a crash in the middle of an append leaves behind.
    await appendFile(sessionPath(home, 'pico:kill'), TORN);

    // The pid file of the killed process is stale; a new gateway starts anyway.
    await start();
    const client = await openPico('kill');
    const next = await picoTurn(client, 'second');
    expect(next.answer).toBe('you said: second');
    const request = llm.requests.findLast((r) => r.body.messages.at(-1)?.content === 'second')!;
    expect(historyProblems(request.body.messages)).toEqual([]);
    expect(request.body.messages.slice(1).map((m) => [m.role, m.content])).toEqual([['user', 'first'], ['user', 'second']]);

    // The torn line stays on its own line (skipped), the new messages were not glued to it.
    const after = await readSession(home, 'pico:kill');
    const lines = (await readFile(sessionPath(home, 'pico:kill'), 'utf8')).split('\n');
    expect(lines).toContain(TORN);
    expect(after.torn).toEqual([lines.indexOf(TORN) + 1]);
    expect(after.endsClean).toBe(true);
    expect(after.messages.map((m) => m.content)).toEqual(['first', 'second', 'you said: second']);

    // The other session was not touched and goes on.
    expect(await readFile(sessionPath(home, 'pico:other'), 'utf8')).toBe(otherBytes);
    const other = await openPico('other');
    expect((await picoTurn(other, 'still here?')).answer).toBe('you said: still here?');
    const otherRequest = llm.requests.findLast((r) => r.body.messages.at(-1)?.content === 'still here?')!;
    expect(otherRequest.body.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['keep me', 'still here?']);

    // The session stopped by SIGTERM goes on with its [stopped] answer in a well-formed history.
    const stopped = await openPico('term-long');
    expect((await picoTurn(stopped, 'go on')).answer).toBe('you said: go on');
    const stoppedRequest = llm.requests.findLast((r) => r.body.messages.at(-1)?.content === 'go on')!;
    expect(historyProblems(stoppedRequest.body.messages)).toEqual([]);
    expect(stoppedRequest.body.messages.slice(1).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  }, 40_000);
});
