import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './env-file.js';

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines as systemd EnvironmentFile and .env tools write them', () => {
    expect(parseEnvFile('# c\nA=1\nexport B="two words"\nC=\'x#y\'\nD=v # comment\nE="line\\nbreak"\nbad line\n\r\nF=\n')).toEqual({ A: '1', B: 'two words', C: 'x#y', D: 'v', E: 'line\nbreak', F: '' });
  });
});
