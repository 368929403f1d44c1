import { describe, expect, it } from 'vitest';
import { commandHelp, commands, complete, completionScript, findCommand, overview } from './cli-help.js';

const names = { models: async () => ['mistral-small', 'groq-llama'], mcpServers: async () => ['homeassistant'] };

describe('command table', () => {
  it('every command has a synopsis, a summary and help text, and appears in the overview', () => {
    const text = overview();
    for (const c of commands) {
      expect(text).toContain(c.synopsis);
      expect(commandHelp(c)).toContain(c.summary);
    }
    expect(findCommand('g')?.name).toBe('gateway');
    expect(findCommand('nope')).toBeUndefined();
  });

  it('gateway help lists the settings flags with their environment variables', () => {
    const help = commandHelp(findCommand('gateway')!);
    expect(help).toMatch(/--port\s+PICOCLAW_GATEWAY_PORT/);
    expect(findCommand('gateway')!.flags).toContain('--allow-public');
  });
});

describe('complete', () => {
  it('commands, subcommands, flags and names from the config', async () => {
    expect(await complete([''], names)).toEqual(expect.arrayContaining(['agent', 'onboard', 'status', 'completion', 'help']));
    expect(await complete([''], names)).not.toContain('__complete');
    expect(await complete(['mo'], names)).toEqual(['models']);
    expect(await complete(['models', ''], names)).toEqual(['list', 'test']);
    expect(await complete(['models', 'test', ''], names)).toEqual(['mistral-small', 'groq-llama']);
    expect(await complete(['models', 'test', 'g'], names)).toEqual(['groq-llama']);
    expect(await complete(['mcp', 'test', ''], names)).toEqual(['homeassistant']);
    expect(await complete(['mcp', 'list', ''], names)).toEqual([]);
    expect(await complete(['onboard', '--ha'], names)).toEqual(['--ha-url', '--ha-token']);
    expect(await complete(['completion', ''], names)).toEqual(['bash', 'zsh', 'fish']);
    expect(await complete(['help', 'st'], names)).toEqual(['status']);
    expect(await complete(['unknown', ''], names)).toEqual([]);
  });
});

describe('completionScript', () => {
  it('bash, zsh and fish forward to picoclaw __complete; other shells are refused', () => {
    for (const shell of ['bash', 'zsh', 'fish']) expect(completionScript(shell)).toContain('picoclaw __complete');
    expect(completionScript('powershell')).toBeUndefined();
  });
});
