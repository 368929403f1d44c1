/**
 * A fake text-to-speech API: `POST /v1/audio/speech` as OpenAI and Groq serve it (JSON
 * `{ model, input, voice, response_format }`, Bearer key) answering with the audio bytes given at
 * start (real OGG/Opus in the tests). It checks the body's shape itself (400 for a missing field or
 * a format other than opus), refuses a wrong key (401) or an unknown model (404); `failNext`
 * scripts a 429 or a 500. `requests` records each body.
 */
import express from 'express';
import { listen } from './listen.js';

export interface SpeechRequest {
  body: Record<string, unknown>;
  authorization: string | undefined;
}

export async function startFakeSpeech(options: { audio: Buffer; key?: string; models?: string[] }) {
  const key = options.key ?? 'tts-test-key';
  const models = new Set(options.models ?? ['tts-1']);
  const requests: SpeechRequest[] = [];
  const failures: { status: number; message: string }[] = [];
  const app = express();
  app.post('/v1/audio/speech', express.json({ limit: '1mb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    requests.push({ body, authorization: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${key}`) return void res.status(401).json({ error: { message: `Incorrect API key provided: ${String(req.headers.authorization).slice(7)}` } });
    const failure = failures.shift();
    if (failure) return void res.status(failure.status).json({ error: { message: failure.message } });
    for (const field of ['model', 'input', 'voice'] as const) {
      if (typeof body[field] !== 'string' || !body[field]) return void res.status(400).json({ error: { message: `${field} is required` } });
    }
    if (body.response_format !== 'opus') return void res.status(400).json({ error: { message: `response_format must be opus here, not ${String(body.response_format)}` } });
    if (!models.has(String(body.model))) return void res.status(404).json({ error: { message: `The model \`${String(body.model)}\` does not exist` } });
    res.type('audio/ogg').send(options.audio);
  });
  const server = await listen(app);
  return {
    ...server,
    key,
    apiBase: `${server.url}/v1`,
    requests,
    failNext(status: number, message = 'failure scripted by the test') {
      failures.push({ status, message });
    },
  };
}

export type FakeSpeech = Awaited<ReturnType<typeof startFakeSpeech>>;
