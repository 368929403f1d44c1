/**
 * Text to speech for voice replies (`send_tts`, per-chat voice replies): `voice.tts_model_name`
 * then `voice.tts_model_fallbacks`, model_list entries served
 * at `<api_base>/audio/speech` (the OpenAI-compatible endpoint of OpenAI's speech models and of
 * local servers): `{ model, input, voice, response_format: "opus" }` in, OGG/Opus bytes out,
 * over the project's http helper. An entry with several API keys is tried once per key on a rate
 * limit, a server error or a refused key. Errors name the model and never an API key.
 */
import { classifyFailure, httpRequest, PicoError, resolveModelTarget, type Config } from '@picoclaw/core';
import { fetchFailure, responseFailure } from '../models/http-errors.js';

/** OpenAI's limit for `input`; longer text is refused here rather than by the provider. */
export const SPEECH_MAX_CHARS = 4096;
/** Telegram takes voice notes up to 50 MB by upload; a few minutes of Opus is well under 1 MB. */
const MAX_AUDIO_BYTES = 20 * 1024 * 1024;

export interface Speaker {
  /** Whether `voice.tts_model_name` is set (read per call: it follows config reloads). */
  available(): boolean;
  /** OGG/Opus audio of `text`; rejects with a PicoError fit for a user. */
  speak(text: string, signal?: AbortSignal): Promise<{ audio: Buffer; model: string }>;
}

export function createSpeaker(options: { config: () => Config; request?: typeof httpRequest; version?: string }): Speaker {
  const request = options.request ?? httpRequest;
  const userAgent = `PicoClaw-TS/${options.version ?? '0.0.0'}`;

  async function once(entry: Config['model_list'][number], key: string | undefined, what: string, input: string, voice: string, signal?: AbortSignal): Promise<Buffer> {
    const target = resolveModelTarget(entry);
    const url = `${(entry.api_base || target.provider.apiBase).replace(/\/+$/, '')}/audio/speech`;
    const timeout = AbortSignal.timeout(entry.request_timeout * 1000);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await request(url, {
        method: 'POST',
        headers: {
          ...entry.custom_headers,
          'content-type': 'application/json',
          accept: 'audio/ogg, audio/opus, */*',
          'user-agent': entry.user_agent || userAgent,
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify({ model: target.modelId, input, voice, response_format: 'opus' }),
        signal: both,
      });
      if (!response.ok) throw await responseFailure(response, what);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > MAX_AUDIO_BYTES) throw new PicoError('remote', `${what}: the audio is larger than ${MAX_AUDIO_BYTES / 1048576} MB`);
        chunks.push(Buffer.from(chunk));
      }
      const audio = Buffer.concat(chunks);
      // A JSON or HTML answer with status 200 is a wrong api_base (or a proxy), not audio.
      if (audio.subarray(0, 4).toString('latin1') !== 'OggS') throw new PicoError('remote', `${what}: the answer is not OGG audio (check api_base: it should end before /audio/speech, and that the model can answer in "opus")`);
      return audio;
    } catch (error) {
      if (timeout.aborted && !signal?.aborted) throw new PicoError('timeout', `${what}: no answer within ${entry.request_timeout} s (model_list request_timeout)`);
      throw fetchFailure(error, what, url, signal);
    }
  }

  return {
    available: () => !!options.config().voice.tts_model_name,
    async speak(text, signal) {
      const config = options.config();
      const name = config.voice.tts_model_name;
      if (!name) throw new PicoError('unavailable', 'no speech model is configured (voice.tts_model_name)');
      const input = text.trim();
      if (!input) throw new PicoError('invalid_input', 'the text to speak is empty');
      if (input.length > SPEECH_MAX_CHARS) throw new PicoError('invalid_input', `the text is ${input.length} characters; a voice reply takes up to ${SPEECH_MAX_CHARS}`);
      // The speech model, then its fallbacks (each entry once, every key of it in turn).
      const names = [...new Set([name, ...config.voice.tts_model_fallbacks])];
      const entries = names.flatMap((n) => config.model_list.filter((e) => e.model_name === n && e.enabled));
      if (entries.length === 0) throw new PicoError('unavailable', `speech model ${name} (voice.tts_model_name) is not in model_list or is disabled`);
      const keys = entries.flatMap((e) => e.api_keys.filter(Boolean));
      // A remote error body could quote the request; no key leaves this function in a message.
      const mask = (message: string) => keys.reduce((t, k) => (k.length >= 4 ? t.replaceAll(k, '***') : t), message);
      const problems: string[] = [];
      for (const entry of entries) {
        const unsupported = resolveModelTarget(entry).provider.unsupported;
        if (unsupported) {
          problems.push(`speech model ${entry.model_name}: ${unsupported}`);
          continue;
        }
        const entryKeys = entry.api_keys.filter(Boolean);
        const last = entry === entries.at(-1);
        for (const [i, key] of (entryKeys.length ? entryKeys : [undefined]).entries()) {
          const label = i === 0 ? entry.model_name : `${entry.model_name}#key${i + 1}`;
          try {
            return { audio: await once(entry, key, `speech model ${label}`, input, config.voice.tts_voice, signal), model: label };
          } catch (error) {
            const failure = error instanceof PicoError ? error : new PicoError('network', String(error));
            if (failure.code === 'aborted') throw failure;
            problems.push(mask(failure.message));
            // Another key helps with a rate limit, a server error or a refused key; another model
            // (a fallback) with anything else too, such as a voice this provider lacks.
            const keyProblem = failure.status === 401 || failure.status === 403;
            if (!classifyFailure(failure).retry && !keyProblem) {
              if (last) throw new PicoError('unavailable', problems.join('; '));
              break;
            }
          }
        }
      }
      throw new PicoError('unavailable', problems.join('; ') || `speech model ${name} could not be used`);
    },
  };
}
