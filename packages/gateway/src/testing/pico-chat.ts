/** A pico WebSocket chat with an in-process gateway, for integration tests: ask, and wait for the turn to end. */
import WebSocket from 'ws';

export interface PicoChat {
  frames: { type: string; payload?: { content?: string } & Record<string, unknown> }[];
  /** Sends a question (with images as data URLs, optionally) and resolves when the turn has ended. */
  ask(content: string, media?: string[]): Promise<void>;
  close(): void;
}

export async function openPicoChat(port: number, token: string, session: string): Promise<PicoChat> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/pico/ws?session_id=${session}`, [`token.${token}`]);
  const frames: PicoChat['frames'] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return {
    frames,
    async ask(content, media) {
      const ended = () => frames.filter((f) => f.type === 'typing.stop').length;
      const before = ended();
      socket.send(JSON.stringify({ type: 'message.send', id: `q${before}`, payload: { content, ...(media ? { media } : {}) } }));
      for (let i = 0; i < 500 && ended() === before; i++) await new Promise((r) => setTimeout(r, 20));
      if (ended() === before) throw new Error(`the turn did not end; frames: ${JSON.stringify(frames.map((f) => f.type))}`);
    },
    close: () => socket.close(),
  };
}
