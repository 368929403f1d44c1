/**
 * Speech to text for voice notes: `voice.model_name`, then `voice.model_fallbacks`, each a
 * model_list entry served at `<api_base>/audio/transcriptions` (the OpenAI-compatible endpoint
 * Groq's Whisper and Mistral's Voxtral both offer). The audio is posted as multipart/form-data
 * (`file`, `model`) over the project's http helper, so no HTTP client library loads for it.
 * Errors name the model and the reason, never an API key.
 */
import { randomBytes } from 'node:crypto';
import { classifyFailure, httpRequest, PicoError, resolveModelTarget, type Config, type ModelEntry } from '@picoclaw/core';
import { fetchFailure, responseFailure } from '../models/http-errors.js';

export interface TranscribeOptions {
  /** Sent as the upload's file name; providers read the format from its extension. */
  filename: string;
  mimeType: string;
  signal?: AbortSignal;
}

export interface Transcriber {
  /** Whether `voice.model_name` is set (checked per message: it follows config reloads). */
  available(): boolean;
  /** The voice settings a channel applies before downloading, and whether to echo the transcript. */
  limits(): { maxBytes: number; maxDurationSeconds: number; echo: boolean };
  /** The transcript and the model_list name that made it; rejects with a PicoError fit for a user. */
  transcribe(audio: Uint8Array, options: TranscribeOptions): Promise<{ text: string; model: string }>;
}

export interface TranscriberOptions {
  /** The current config (a getter, so a reload takes effect without a new transcriber). */
  config: () => Config;
  request?: typeof httpRequest;
  version?: string;
}

interface Candidate {
  name: string;
  entry: ModelEntry;
  key: string | undefined;
}

/** Only these characters reach the multipart header: no quote or newline can break out of it. */
const safeFilename = (name: string) => (name.split(/[\\/]/).pop() ?? '').replace(/[^\w.-]/g, '_').slice(-64) || 'audio.ogg';
const safeMime = (type: string) => (/^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream');

/** The multipart body: one text field per entry of `fields`, then the file. */
export function multipartBody(fields: Record<string, string>, file: { bytes: Uint8Array; filename: string; mimeType: string }) {
  const boundary = `----picoclaw${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeFilename(file.filename)}"\r\nContent-Type: ${safeMime(file.mimeType)}\r\n\r\n`));
  parts.push(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength), Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export function createTranscriber(options: TranscriberOptions): Transcriber {
  const request = options.request ?? httpRequest;
  const userAgent = `PicoClaw-TS/${options.version ?? '0.0.0'}`;

  /** The entries to try, in order, one per API key; `problems` says why a name gave none. */
  function candidates(config: Config, problems: string[]): Candidate[] {
    const out: Candidate[] = [];
    const seen = new Set<string>();
    for (const ref of [config.voice.model_name, ...config.voice.model_fallbacks]) {
      if (!ref || seen.has(ref)) continue;
      seen.add(ref);
      const entries = config.model_list.filter((e) => e.model_name === ref && e.enabled);
      if (entries.length === 0) {
        problems.push(`model ${ref} is not in model_list or is disabled`);
        continue;
      }
      for (const entry of entries) {
        const unsupported = resolveModelTarget(entry).provider.unsupported;
        if (unsupported) {
          problems.push(`model ${ref}: ${unsupported}`);
          continue;
        }
        const keys = entry.api_keys.filter(Boolean);
        if (keys.length === 0) out.push({ name: ref, entry, key: undefined });
        keys.forEach((key, i) => out.push({ name: i === 0 ? ref : `${ref}#key${i + 1}`, entry, key }));
      }
    }
    return out;
  }

  async function once(candidate: Candidate, audio: Uint8Array, transcribe: TranscribeOptions): Promise<string> {
    const { entry, key, name } = candidate;
    const target = resolveModelTarget(entry);
    const url = `${(entry.api_base || target.provider.apiBase).replace(/\/+$/, '')}/audio/transcriptions`;
    const what = `transcription model ${name}`;
    const { body, contentType } = multipartBody({ model: target.modelId }, { bytes: audio, filename: transcribe.filename, mimeType: transcribe.mimeType });
    const timeout = AbortSignal.timeout(entry.request_timeout * 1000);
    const signal = transcribe.signal ? AbortSignal.any([transcribe.signal, timeout]) : timeout;
    try {
      const response = await request(url, {
        method: 'POST',
        headers: {
          ...entry.custom_headers,
          'content-type': contentType,
          accept: 'application/json',
          'user-agent': entry.user_agent || userAgent,
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body,
        signal,
      });
      if (!response.ok) throw await responseFailure(response, what);
      const raw = await response.text();
      let text: unknown;
      try {
        text = (JSON.parse(raw) as { text?: unknown }).text;
      } catch {
        throw new PicoError('remote', `${what}: the answer is not JSON (check api_base: it should end before /audio/transcriptions)`);
      }
      if (typeof text !== 'string') throw new PicoError('remote', `${what}: the answer has no "text"`);
      return text.trim();
    } catch (error) {
      if (timeout.aborted && !transcribe.signal?.aborted) throw new PicoError('timeout', `${what}: no answer within ${entry.request_timeout} s (model_list request_timeout)`);
      throw fetchFailure(error, what, url, transcribe.signal);
    }
  }

  return {
    available: () => !!options.config().voice.model_name,
    limits: () => {
      const { max_bytes, max_duration_seconds, echo_transcription } = options.config().voice;
      return { maxBytes: max_bytes, maxDurationSeconds: max_duration_seconds, echo: echo_transcription };
    },
    async transcribe(audio, transcribe) {
      const config = options.config();
      const problems: string[] = [];
      const list = candidates(config, problems);
      if (!config.voice.model_name) throw new PicoError('unavailable', 'no transcription model is configured (voice.model_name)');
      const keys = list.flatMap((c) => (c.key ? [c.key] : []));
      // A remote error body could quote the request; no key leaves this function in a message.
      const mask = (text: string) => keys.reduce((t, k) => (k.length >= 4 ? t.replaceAll(k, '***') : t), text);
      for (const candidate of list) {
        try {
          return { text: await once(candidate, audio, transcribe), model: candidate.name };
        } catch (error) {
          const failure = error instanceof PicoError ? error : new PicoError('network', String(error));
          if (failure.code === 'aborted') throw failure;
          problems.push(mask(failure.message));
          const verdict = classifyFailure(failure);
          // Rate limits, server and network trouble, or this model's own configuration (key, URL,
          // model id): the next model may do. Any other refusal is about the audio itself, which
          // the next model would refuse too.
          const modelProblem = failure.status === 401 || failure.status === 403 || failure.status === 404;
          if (!verdict.retry && !modelProblem) break;
        }
      }
      throw new PicoError('unavailable', problems.join('; ') || 'no transcription model could be used');
    },
  };
}
