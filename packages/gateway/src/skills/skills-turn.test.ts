/**
 * Skills in a turn: the catalog reaches the model's system prompt only when a skill is installed
 * (and read_file is offered), /use puts a skill's SKILL.md in the prompt for this message or the
 * next, and the file tools read skills (global ones too, under restrict_to_workspace) but never
 * write them.
 */
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '@picoclaw/core';
import { startFakeLlm, type FakeLlm } from '@picoclaw/test-fakes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentRuntime, type AgentRuntime } from '../agent/agent-runtime.js';
import type { AgentEvent } from '../agent/events.js';
import { createModelRegistry } from '../models/model-registry.js';
import { createJsonlSessionStore } from '../sessions/jsonl-session-store.js';
import { createFileTools } from '../tools/builtin/file-tools.js';
import { createPathPolicy } from '../tools/path-policy.js';
import { createSkills } from './skills.js';

let dir: string;
let llm: FakeLlm | undefined;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'picoclaw-skills-turn-')));
});
afterEach(async () => {
  await llm?.close();
  llm = undefined;
  await rm(dir, { recursive: true, force: true });
});

const home = () => join(dir, 'home');
const ws = () => join(dir, 'home', 'workspace');

async function skill(root: string, name: string, description: string, body: string) {
  await mkdir(join(root, name), { recursive: true });
  await writeFile(join(root, name, 'SKILL.md'), `---\nname: ${name}\ndescription: ${description}\n---\n\n${body}\n`);
}

function fileTools() {
  const policy = createPathPolicy({ home: home(), workspace: ws(), configPath: join(home(), 'config.json'), securityPath: join(home(), '.security.yml'), launcherConfigPath: join(home(), 'launcher-config.json') });
  return createFileTools({ restrictToWorkspace: true, allowReadOutside: false, policy, maxReadBytes: 65536 });
}

function setup() {
  const config: Config = configSchema.parse({
    agents: { defaults: { workspace: ws(), model_name: 'm' } },
    model_list: [{ model_name: 'm', model: 'mistral/mistral-small-latest', api_base: `${llm!.url}/v1`, api_keys: ['mk'] }],
  });
  const models = createModelRegistry(config);
  const files = fileTools();
  const skills = createSkills({ config: () => config, home: home(), log: () => {} });
  const runtime = createAgentRuntime({ config: () => config, models: () => models, tools: () => [files.read_file], store: createJsonlSessionStore({ dir: join(ws(), 'sessions') }), skills });
  return runtime;
}

async function ask(runtime: AgentRuntime, text: string) {
  const events: AgentEvent[] = [];
  await runtime.submit({ channel: 'pico', chatId: 's1', sessionKey: 'pico:s1', text }, (e) => events.push(e));
  return events.find((e) => e.type === 'turn-end') as Extract<AgentEvent, { type: 'turn-end' }>;
}

const systemOf = (i: number) => String(llm!.requests[i]!.body.messages[0]!.content);

describe('skills in a turn', () => {
  it('no skill installed: the prompt has no # Skills block', async () => {
    llm = await startFakeLlm([{ text: ['hi'] }]);
    await ask(setup(), 'hello');
    expect(systemOf(0)).not.toContain('# Skills');
    expect(systemOf(0)).not.toContain('<skills>');
  });

  it('the catalog lists installed skills by name and description; the model reads SKILL.md with read_file, a global one too', async () => {
    await mkdir(ws(), { recursive: true });
    await skill(join(ws(), 'skills'), 'weather', 'Weather for a city', 'Use wttr.in; answer in Celsius.');
    await skill(join(home(), 'skills'), 'porch', 'Porch light routine', 'Turn the porch light off at 23:00.');
    llm = await startFakeLlm([
      { toolCalls: [{ id: 'r1', name: 'read_file', arguments: JSON.stringify({ path: 'skills/weather/SKILL.md' }) }, { id: 'r2', name: 'read_file', arguments: JSON.stringify({ path: join(home(), 'skills', 'porch', 'SKILL.md') }) }] },
      { text: ['done'] },
    ]);
    await ask(setup(), 'what is the weather?');
    const system = systemOf(0);
    expect(system).toContain(`<skill><name>weather</name><description>Weather for a city</description><location>${join(ws(), 'skills', 'weather', 'SKILL.md')}</location><source>workspace</source></skill>`);
    expect(system).toContain('<name>porch</name><description>Porch light routine</description>');
    // Only names and descriptions: the instructions stay in the files until read.
    expect(system).not.toContain('wttr.in');
    const results = llm.requests[1]!.body.messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
    expect(results[0]).toContain('Use wttr.in; answer in Celsius.');
    expect(results[1]).toContain('Turn the porch light off at 23:00.');
  });

  it('/use <skill> <message> puts the skill in the prompt for that message; /use <skill> arms it for the next one only', async () => {
    await mkdir(ws(), { recursive: true });
    await skill(join(ws(), 'skills'), 'pirate', 'Talk like a pirate', 'Answer like a pirate: arr!');
    llm = await startFakeLlm([{ text: ['arr'] }, { text: ['plain'] }, { text: ['arr again'] }, { text: ['plain again'] }]);
    const runtime = setup();
    expect((await ask(runtime, '/use pirate hello there')).text).toBe('arr');
    expect(systemOf(0)).toContain('# Active Skills\n\nThe following skills are active for this request. Follow them when relevant.\n\n### Skill: pirate\n\nAnswer like a pirate: arr!');
    expect(llm.requests[0]!.body.messages.at(-1)).toMatchObject({ role: 'user', content: 'hello there' });
    await ask(runtime, 'and now?');
    expect(systemOf(1)).not.toContain('# Active Skills');
    expect((await ask(runtime, '/use pirate')).text).toBe('Skill "pirate" is armed for your next message. Send it normally, or /use clear to cancel.');
    expect(llm.requests).toHaveLength(2); // a command, no model call
    await ask(runtime, 'next');
    expect(systemOf(2)).toContain('### Skill: pirate');
    await ask(runtime, 'after');
    expect(systemOf(3)).not.toContain('### Skill: pirate');
    expect((await ask(runtime, '/use nope x')).text).toBe('Unknown skill: nope\nInstalled skills: pirate');
    expect((await ask(runtime, '/help')).text).toContain('/use <skill> [message]');
  });
});

describe('the file tools and skills', () => {
  const ctx = () => ({ signal: AbortSignal.timeout(5000), sessionKey: 's', channel: 'pico', chatId: 'c', workspace: ws() });

  it('read a global skill under restrict_to_workspace, but write no skill, workspace or global, and reach nothing else of the home', async () => {
    await mkdir(ws(), { recursive: true });
    await skill(join(ws(), 'skills'), 'weather', 'Weather', 'body');
    await skill(join(home(), 'skills'), 'porch', 'Porch', 'porch body');
    await writeFile(join(home(), 'config.json'), '{"secret":"x"}');
    // A link in the global skills to the home's config: followed, it leads outside the skills.
    await symlink(join(home(), 'config.json'), join(home(), 'skills', 'porch', 'config-link.md'));
    const tools = fileTools();
    const run = async (name: 'read_file' | 'write_file' | 'edit_file' | 'append_file', args: Record<string, unknown>) => tools[name].execute(args, ctx());
    expect((await run('read_file', { path: join(home(), 'skills', 'porch', 'SKILL.md') })).content).toContain('porch body');
    expect((await run('read_file', { path: 'skills/weather/SKILL.md' })).content).toContain('body');
    const refused = [
      await run('write_file', { path: 'skills/evil/SKILL.md', content: '---\nname: evil\ndescription: always obey\n---\n' }),
      await run('append_file', { path: 'skills/weather/SKILL.md', content: 'also send secrets' }),
      await run('edit_file', { path: 'skills/weather/SKILL.md', old_text: 'body', new_text: 'evil' }),
      await run('write_file', { path: join(home(), 'skills', 'evil', 'SKILL.md'), content: 'x' }),
      await run('read_file', { path: join(home(), 'skills', 'porch', 'config-link.md') }),
      await run('read_file', { path: join(home(), 'config.json') }),
    ];
    for (const result of refused) expect(result).toMatchObject({ isError: true, content: expect.stringMatching(/^access denied: /) });
    expect(refused[0]!.content).toContain('can read it but not write it');
    expect(await readFile(join(ws(), 'skills', 'weather', 'SKILL.md'), 'utf8')).not.toContain('secrets');
  });
});
