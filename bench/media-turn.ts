/**
 * Telegram media turns against text messages, through the real gateway bundle and the fake Bot API:
 * a voice note (the fake's file endpoint serves a real OGG/Opus note made here with espeak-ng +
 * opusenc, transcribed by the fake transcription server) and a photo (a PNG of noise, as large as
 * a phone photo after Telegram's compression, seen by a vision model). Timed in this process from
 * the update being available (the fake answers the bot's pending long poll at once) to the
 * answer's last Bot API call, minus the fakes' own time (the model's, and the transcription
 * server's from a request's arrival to its answer): what remains is ours — getFile, the download,
 * storing and reading back the image or the multipart upload, and the same path as a text message.
 */
import { makePng, makeVoiceNote, startFakeTelegram, startFakeTranscription, type FakeLlm, type FakeTelegram } from '@picoclaw/test-fakes';

const round = (x: number) => Math.round(x * 10) / 10;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Runs `fn` against a gateway started with `config` as its config.json; resolves once it is ready. */
export type WithConfig = <T>(config: Record<string, unknown>, fn: () => Promise<T>) => Promise<T>;

interface Medium {
  /** model_list entries and config.json keys the medium needs besides the chat model. */
  config: Record<string, unknown>;
  models: Record<string, unknown>[];
  /** The chat model's id: a vision model for photos. */
  model: string;
  /** Sends the medium tagged `tag` (the fake echoes the tag back as the answer). */
  push(tg: FakeTelegram, tag: string, from: { id: number }): void;
  /** Milliseconds the medium's own fake has spent so far. */
  busyMs(): number;
  bytes: number;
}

async function overhead(llm: FakeLlm, withConfig: WithConfig, tg: FakeTelegram, answers: { wait?: { text: string; done: (at: number) => void } }, medium: Medium, count: number, warmUp: number) {
  return withConfig(
    {
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: medium.model, api_base: llm.url, api_keys: ['k'] }, ...medium.models],
      ...medium.config,
      // Every bench user is a chat of its own.
      channel_list: { telegram: { enabled: true, type: 'telegram', allow_from: ['*'], settings: { token: tg.token, base_url: tg.url } } },
    },
    async () => {
      /** One turn in a chat of its own (no history weighs on later samples): ms minus the fakes' time. */
      const turn = async (i: number, media: boolean) => {
        const tag = `${media ? 'media' : 'text'} ${i}`;
        const answered = new Promise<number>((done) => (answers.wait = { text: `you said: ${tag}`, done }));
        const [model, busy] = [llm.modelMs, medium.busyMs()];
        const from = { id: 1000 + i + (media ? 0 : 100_000) };
        const start = performance.now();
        if (media) medium.push(tg, tag, from);
        else tg.pushMessage(tag, from);
        const total = (await answered) - start;
        return { total, ours: total - (llm.modelMs - model) - (medium.busyMs() - busy) };
      };
      const samples = { media: [] as { total: number; ours: number }[], text: [] as { total: number; ours: number }[] };
      for (let i = 0; i < warmUp; i++) {
        await turn(-1 - i, true);
        await turn(-1 - i, false);
      }
      // Interleaved, so that both kinds see the same phases of a shared machine.
      for (let i = 0; i < count; i++) {
        samples.media.push(await turn(i, true));
        samples.text.push(await turn(i, false));
      }
      const figures = (xs: { total: number; ours: number }[]) => ({ p50Ms: round(pct(xs.map((x) => x.ours), 50)), p99Ms: round(pct(xs.map((x) => x.ours), 99)), withFakesP50Ms: round(pct(xs.map((x) => x.total), 50)), n: xs.length });
      return { media: { ...figures(samples.media), bytes: medium.bytes }, text: figures(samples.text) };
    },
  );
}

/** The fake Bot API, with the answer's call seen the moment the fake receives it (same process, same clock). */
async function telegram() {
  const answers: { wait?: { text: string; done: (at: number) => void } } = {};
  const tg = await startFakeTelegram({
    onCall: (call) => {
      if (answers.wait && String(call.body.text ?? '') === answers.wait.text) answers.wait.done(performance.now());
    },
  });
  return { tg, answers };
}

export async function voiceTurnOverhead(llm: FakeLlm, withConfig: WithConfig, count = 60, warmUp = 5) {
  const note = await makeVoiceNote('turn on the kitchen light');
  const { tg, answers } = await telegram();
  const stt = await startFakeTranscription({ models: ['whisper-large-v3-turbo'] });
  const fileId = tg.addFile(note);
  try {
    const r = await overhead(llm, withConfig, tg, answers, {
      model: 'groq/bench',
      models: [{ model_name: 'whisper', model: 'groq/whisper-large-v3-turbo', api_base: stt.apiBase, api_keys: [stt.key] }],
      config: { voice: { model_name: 'whisper' } },
      push: (t, tag, from) => {
        stt.setText(tag);
        t.pushVoice(fileId, { duration: 2 }, from);
      },
      busyMs: () => stt.busyMs,
      bytes: note.length,
    }, count, warmUp);
    const { bytes: noteBytes, ...voice } = r.media;
    return { voice: { ...voice, noteBytes, uploads: stt.uploads.length }, text: r.text };
  } finally {
    await Promise.all([tg.close(), stt.close()]);
  }
}

/** A ~190 KB photo (the size of a phone photo Telegram has compressed) with its tag as caption. */
export async function imageTurnOverhead(llm: FakeLlm, withConfig: WithConfig, count = 60, warmUp = 5) {
  const photo = makePng(250, 250, { noise: true });
  const { tg, answers } = await telegram();
  const fileId = tg.addFile(photo, 'photos/file_1.png');
  try {
    const r = await overhead(llm, withConfig, tg, answers, {
      model: 'openai/gpt-4o',
      models: [],
      config: {},
      push: (t, tag, from) => t.pushPhoto([{ fileId, width: 250, height: 250, file_size: photo.length }], { caption: tag }, from),
      busyMs: () => 0,
      bytes: photo.length,
    }, count, warmUp);
    return { image: r.media, text: r.text };
  } finally {
    await tg.close();
  }
}
