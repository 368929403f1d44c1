/**
 * A real Debian mosquitto broker on a free loopback port, for MQTT tests. Persistence off; logs
 * go to stderr, which is unbuffered, and are kept for assertions. `stop()` then `restart()` on
 * the same port simulate an outage.
 * With `users`, anonymous access is off and a password file is written with mosquitto_passwd.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitForTcp(port: number, timeoutMs: number, what = 'mosquitto') {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A server process that can be stopped and started again on the same port (an outage):
 * `start` spawns it and waits until the port accepts connections.
 */
export function restartableServer(spawn: () => ResultPromise, port: number, what: string) {
  let child: ResultPromise | undefined;
  return {
    async start() {
      child = spawn();
      await waitForTcp(port, 5_000, what);
    },
    async stop() {
      if (!child) return;
      child.kill('SIGTERM');
      await child;
      child = undefined;
    },
  };
}

/** A throwaway CA and a server certificate for 127.0.0.1, made with openssl. */
async function makeCertificates(dir: string) {
  const run = (args: string[]) => execa('openssl', args, { cwd: dir });
  await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=PicoClaw Test CA']);
  await run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext']);
  for (const f of ['ca.crt', 'server.crt', 'server.key']) await chmod(join(dir, f), 0o644);
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

export async function startMosquitto(options: { users?: Record<string, string>; tls?: boolean } = {}) {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'mosquitto-'));
  // Running as root, mosquitto drops to its own user after reading the config: it must still be
  // able to read the password file.
  await chmod(dir, 0o755);
  const conf = join(dir, 'mosquitto.conf');
  let text = `listener ${port} 127.0.0.1\npersistence false\nlog_dest stderr\nlog_type all\n`;
  if (options.users) {
    const passwords = join(dir, 'passwords');
    await writeFile(passwords, '', { mode: 0o644 });
    for (const [user, password] of Object.entries(options.users)) await execa('mosquitto_passwd', ['-b', passwords, user, password]);
    text += `allow_anonymous false\npassword_file ${passwords}\n`;
  } else text += 'allow_anonymous true\n';
  const certificates = options.tls ? await makeCertificates(dir) : undefined;
  if (certificates) text += `cafile ${certificates.ca}\ncertfile ${certificates.cert}\nkeyfile ${certificates.key}\n`;
  await writeFile(conf, text);
  let log = '';
  const { start, stop } = restartableServer(
    () => {
      const child = execa('mosquitto', ['-c', conf], { reject: false, all: true });
      child.all?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
      return child;
    },
    port,
    'mosquitto',
  );
  await start();
  return {
    port,
    url: `${certificates ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    /** The URL in the guide's paho form. */
    tcpUrl: `${certificates ? 'ssl' : 'tcp'}://127.0.0.1:${port}`,
    /** The CA that signed the broker's certificate (with `tls`). */
    caFile: certificates?.ca,
    log: () => log,
    stop,
    restart: start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type Mosquitto = Awaited<ReturnType<typeof startMosquitto>>;
