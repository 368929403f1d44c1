/**
 * A real Debian redis-server on a free loopback port, for the shared session store and the
 * cluster tests: no persistence, optional password. `stop()` then `restart()` on the same port
 * simulate an outage (the data is gone, as after a Redis crash without persistence).
 */
import { execa, type ResultPromise } from 'execa';
import { freePort, waitForTcp } from './mosquitto.js';

export interface RedisServer {
  url: string;
  port: number;
  /** Runs one redis-cli command against it. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(options.password ? ['--requirepass', options.password] : [])];
  let child: ResultPromise | undefined;
  const start = async () => {
    child = execa('redis-server', args, { reject: false });
    await waitForTcp(port, 5_000, 'redis-server');
  };
  const stop = async () => {
    if (!child) return;
    child.kill('SIGTERM');
    await child;
    child = undefined;
  };
  await start();
  return {
    port,
    url: `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`,
    async cli(...command: string[]) {
      const auth = options.password ? ['-a', options.password, '--no-auth-warning'] : [];
      return (await execa('redis-cli', ['-p', String(port), ...auth, ...command])).stdout;
    },
    stop,
    restart: start,
    close: stop,
  };
}
