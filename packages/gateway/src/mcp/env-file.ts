import { readFile } from 'node:fs/promises';
import { parseEnvFile } from '@picoclaw/core';

export async function readEnvFile(path: string): Promise<Record<string, string>> {
  return parseEnvFile(await readFile(path, 'utf8'));
}
