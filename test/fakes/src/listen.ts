import type { Server } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { Express } from 'express';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 and resolves with the URL; `close` also drops open keep-alive sockets. */
export function listen(app: Express): Promise<Listening & { server: Server }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1');
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        server,
        port,
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * A server that can be stopped and started again on the same loopback port, to make a service
 * disappear from the network and come back: `stop()` refuses new connections and cuts the open
 * ones (clients see ECONNREFUSED / a reset); `start()` listens again with a fresh server.
 */
export function restartableListener(create: () => NetServer, port = 0) {
  let server: NetServer | undefined;
  const sockets = new Set<Socket>();
  return {
    get port() {
      return port;
    },
    get listening() {
      return server !== undefined;
    },
    start: () =>
      new Promise<void>((resolve, reject) => {
        const s = create();
        s.on('connection', (socket: Socket) => {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
        });
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          port = (s.address() as AddressInfo).port;
          server = s;
          resolve();
        });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        server = undefined;
      }),
  };
}
