import { describe, expect, it } from 'vitest';
import { commandHelp, commands, complete, completionScript, findCommand, overview } from './cli-help.js';

const names = { models: async () => ['mistral-small', 'groq-llama'], mcpServers: async () => ['homeassistant'], jobs: async () => ['3f2a9c0e1b2d4f6a', '77aa00bb11cc22dd'] };

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

  it('cron: subcommands, job ids after remove/enable/disable/run, every flag, the values of --missed', async () => {
    expect(await complete(['cr'], names)).toEqual(['cron']);
    expect(await complete(['cron', ''], names)).toEqual(['list', 'add', 'remove', 'enable', 'disable', 'run', 'targets']);
    for (const sub of ['remove', 'enable', 'disable', 'run']) expect(await complete(['cron', sub, '3f'], names)).toEqual(['3f2a9c0e1b2d4f6a']);
    expect(await complete(['cron', 'add', ''], names)).toEqual([]);
    expect(await complete(['cron', 'add', '--e'], names)).toEqual(['--every']);
    expect(await complete(['cron', 'add', '--missed', ''], names)).toEqual(['run', 'skip']);
    expect(await complete(['c', 'add', '--ch'], names)).toEqual(['--channel']);
    const help = commandHelp(findCommand('cron')!);
    for (const flag of findCommand('cron')!.flags) expect(help, flag).toContain(flag);
    for (const sub of findCommand('cron')!.subcommands!) expect(help, sub).toMatch(new RegExp(`^ {2}\\S*${sub}`, 'm'));
  });
});

describe('completionScript', () => {
  it('bash, zsh and fish forward to picoclaw __complete; other shells are refused', () => {
    for (const shell of ['bash', 'zsh', 'fish']) expect(completionScript(shell)).toContain('picoclaw __complete');
    expect(completionScript('powershell')).toBeUndefined();
  });
});
