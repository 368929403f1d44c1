/**
 * A real Debian redis-server on a free loopback port, for the shared session store and the
 * cluster tests: no persistence, optional password. `stop()` then `restart()` on the same port
 * simulate an outage (the data is gone, as after a Redis crash without persistence).
 */
import { execa } from 'execa';
import { freePort, restartableServer } from './mosquitto.js';

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
  const { start, stop } = restartableServer(() => execa('redis-server', args, { reject: false }), port, 'redis-server');
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
