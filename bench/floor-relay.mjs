// The least any process can do for one chat message on this machine, for the bench's "floors":
// a message in → one streamed POST to the model → the first answer out. No agent, session, prompt
// or logging: what remains is Node, loopback TCP, the broker and the fake model.
// Usage: node bench/floor-relay.mjs <port> <model chat/completions URL> [--mqtt <broker URL> | --upstream <ws URL>]
//   (default)   a pico-like WebSocket on <port>: frame in → POST → frame out
//   --mqtt      devices' requests on /picoclaw/bench/<device>/request → POST → the whole answer on their response topic
//   --upstream  a WebSocket hop on <port> to another relay (what the launcher's chat proxy adds)
// GET / on <port> answers once the relay is ready.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import mqtt from 'mqtt';
import WebSocket, { WebSocketServer } from 'ws';

const [port, model, mode, target] = [Number(process.argv[2]), process.argv[3], process.argv[4], process.argv[5]];
const agent = new http.Agent({ keepAlive: true });

/**
 * One streamed POST; `answer` runs once the first content chunk is in or, with `whole`, once the
 * stream has ended (an MQTT answer is the whole text).
 */
function ask(content, answer, whole = false) {
  const body = JSON.stringify({ model: 'floor', stream: true, messages: [{ role: 'user', content }] });
  const request = http.request(model, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    let sent = false;
    if (whole) res.on('end', answer);
    res.on('data', (chunk) => {
      if (!whole && !sent && String(chunk).includes('"content":"')) {
        sent = true;
        answer();
      }
    });
  });
  request.end(body);
}

const server = http.createServer((_req, res) => res.end('ok'));
if (mode === '--mqtt') {
  const client = await mqtt.connectAsync(target);
  client.on('message', (topic, payload) => {
    const { text } = JSON.parse(String(payload));
    ask(text, () => client.publish(topic.replace(/\/request$/, '/response'), JSON.stringify({ text: 'x' })), true);
  });
  await client.subscribeAsync('/picoclaw/bench/+/request');
} else if (mode === '--upstream') {
  new WebSocketServer({ server }).on('connection', (ws) => {
    const up = new WebSocket(target);
    const early = [];
    up.on('open', () => early.splice(0).forEach((data) => up.send(data)));
    up.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('message', (data, isBinary) => (up.readyState === WebSocket.OPEN ? up.send(data, { binary: isBinary }) : early.push(data)));
    ws.on('close', () => up.close());
  });
} else {
  new WebSocketServer({ server }).on('connection', (ws) =>
    ws.on('message', (data) => ask(JSON.parse(String(data)).payload.content, () => ws.send(JSON.stringify({ type: 'message.create', payload: { content: 'x' } })))),
  );
}
server.listen(port, '127.0.0.1');
