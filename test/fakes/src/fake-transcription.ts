/**
 * A fake speech-to-text API: `POST /v1/audio/transcriptions` as Groq and Mistral serve it
 * (multipart/form-data with `file` and `model`, Bearer key; answer `{ "text": … }`). It parses
 * the upload itself, so a test sees exactly the bytes, file name and type the gateway sent, and
 * refuses a wrong key (401) or an unknown model (404). `failNext` scripts a 429 or a 500.
 */
import express from 'express';
import { listen } from './listen.js';

export interface TranscriptionUpload {
  model: string;
  filename: string;
  mimeType: string;
  bytes: Buffer;
  authorization: string | undefined;
  fields: Record<string, string>;
}

/** Splits a multipart/form-data body into its parts (enough for the fields a client sends). */
export function parseMultipart(body: Buffer, contentType: string): { name: string; filename?: string; type?: string; data: Buffer }[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw new Error('no multipart boundary');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: { name: string; filename?: string; type?: string; data: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    // Between the delimiters: CRLF, headers, CRLF CRLF, data, CRLF.
    const chunk = body.subarray(start + delimiter.length + 2, next - 2);
    const headerEnd = chunk.indexOf('\r\n\r\n');
    const headers = chunk.subarray(0, headerEnd).toString('utf8');
    const disposition = /content-disposition:\s*form-data; name="([^"]*)"(?:; filename="([^"]*)")?/i.exec(headers);
    const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
    if (disposition) parts.push({ name: disposition[1]!, ...(disposition[2] !== undefined ? { filename: disposition[2] } : {}), ...(type ? { type } : {}), data: chunk.subarray(headerEnd + 4) });
    start = next;
  }
  return parts;
}

export async function startFakeTranscription(options: { key?: string; models?: string[]; text?: string } = {}) {
  const key = options.key ?? 'stt-test-key';
  const models = new Set(options.models ?? ['whisper-large-v3-turbo']);
  const uploads: TranscriptionUpload[] = [];
  const failures: { model?: string; status: number; message: string }[] = [];
  let text = options.text ?? 'turn on the kitchen light';
  // The server's own time, summed: each request's arrival to its answer sent (a bench subtracts it).
  let busyMs = 0;
  const app = express();
  app.use((_req, res, next) => {
    const start = performance.now();
    res.once('finish', () => (busyMs += performance.now() - start));
    next();
  });
  app.post('/v1/audio/transcriptions', express.raw({ type: '*/*', limit: '30mb' }), (req, res) => {
    const parts = parseMultipart(req.body as Buffer, String(req.headers['content-type'] ?? ''));
    const fields = Object.fromEntries(parts.filter((p) => p.filename === undefined).map((p) => [p.name, p.data.toString('utf8')]));
    const file = parts.find((p) => p.name === 'file' && p.filename !== undefined);
    const upload: TranscriptionUpload = { model: fields.model ?? '', filename: file?.filename ?? '', mimeType: file?.type ?? '', bytes: file?.data ?? Buffer.alloc(0), authorization: req.headers.authorization, fields };
    uploads.push(upload);
    if (req.headers.authorization !== `Bearer ${key}`) return void res.status(401).json({ error: { message: 'Invalid API Key' } });
    if (!file || !file.data.length) return void res.status(400).json({ error: { message: 'file is required' } });
    const failure = failures.find((f) => !f.model || f.model === upload.model);
    if (failure) {
      failures.splice(failures.indexOf(failure), 1);
      return void res.status(failure.status).json({ error: { message: failure.message } });
    }
    if (!models.has(upload.model)) return void res.status(404).json({ error: { message: `The model \`${upload.model}\` does not exist` } });
    res.json({ text, x_groq: { id: 'req_fake' } });
  });
  const server = await listen(app);
  return {
    ...server,
    key,
    /** What to put in a model_list entry's api_base. */
    apiBase: `${server.url}/v1`,
    uploads,
    get busyMs() {
      return busyMs;
    },
    setText(next: string) {
      text = next;
    },
    /** The next request (for `model`, when given) fails with this status (429, 500…). */
    failNext(status: number, message = 'failure scripted by the test', model?: string) {
      failures.push({ status, message, ...(model ? { model } : {}) });
    },
  };
}

export type FakeTranscription = Awaited<ReturnType<typeof startFakeTranscription>>;
