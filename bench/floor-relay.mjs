// The least any process can do for one chat message on this machine, for the bench's "floor":
// a WebSocket frame in → one streamed POST to the model → the first answer as a frame out.
// No agent, session, prompt or logging: what remains is Node, loopback TCP and the fake model.
// Usage: node bench/floor-relay.mjs <port> <model chat/completions URL>
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { WebSocketServer } from 'ws';

const [port, model] = [Number(process.argv[2]), process.argv[3]];
const agent = new http.Agent({ keepAlive: true });
const server = http.createServer((_req, res) => res.end('ok'));
new WebSocketServer({ server }).on('connection', (ws) =>
  ws.on('message', (data) => {
    const { payload } = JSON.parse(String(data));
    const body = JSON.stringify({ model: 'floor', stream: true, messages: [{ role: 'user', content: payload.content }] });
    const request = http.request(model, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let sent = false;
      res.on('data', (chunk) => {
        if (!sent && String(chunk).includes('"content":"')) {
          sent = true;
          ws.send(JSON.stringify({ type: 'message.create', payload: { content: 'x' } }));
        }
      });
    });
    request.end(body);
  }),
);
server.listen(port, '127.0.0.1');
