/** An in-process gateway on a free port with a temporary home, for integration tests. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger, createSecretMasker, loadGatewaySettings } from '@picoclaw/core';
import { channelFactories } from '../channels/index.js';
import { createGateway, type Gateway } from '../gateway.js';

export interface TestGateway {
  gateway: Gateway;
  home: string;
  base: string;
  port: number;
  logs(): string;
  close(): Promise<void>;
}

/** With `home`, that directory is used and kept on close (a restart test starts a second gateway on it). */
export async function startTestGateway(options: { config: unknown; security?: string; env?: NodeJS.ProcessEnv; token?: string; home?: string }): Promise<TestGateway> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), 'picoclaw-gw-')));
  await writeFile(join(home, 'config.json'), JSON.stringify(options.config));
  if (options.security) await writeFile(join(home, '.security.yml'), options.security);
  const settings = loadGatewaySettings({ env: { PICOCLAW_HOME: home, PICOCLAW_GATEWAY_TOKEN: options.token ?? 'control-token' }, argv: ['--port', '0'] });
  let logs = '';
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => (logs += c.toString()));
  const masker = createSecretMasker();
  const gateway = createGateway({ settings, log: createLogger({ name: 'gateway', console: 'json', stream, masker, level: 'debug' }), masker, env: options.env ?? {}, channelFactories, shutdownGraceMs: 2000 });
  const { port } = await gateway.start();
  return {
    gateway,
    home,
    port,
    base: `http://127.0.0.1:${port}`,
    logs: () => logs,
    async close() {
      await gateway.close();
      if (!options.home) await rm(home, { recursive: true, force: true });
    },
  };
}
