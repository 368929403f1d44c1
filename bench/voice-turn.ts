/**
 * A Telegram voice note's turn against a text message's, through the real gateway bundle: the
 * fake Bot API (its file endpoint serves a real OGG/Opus note made here with espeak-ng + opusenc,
 * as the voice tests do), the fake transcription server and the fake model. Timed in this
 * process from the update being available (the fake answers the bot's pending long poll at once)
 * to the answer's last Bot API call, minus the fakes' own time (the transcription server's, from
 * a request's arrival to its answer, and the model's): what remains is ours — getFile, the
 * download, the multipart upload and the same path as a text message.
 */
import { makeVoiceNote, startFakeTelegram, startFakeTranscription, type FakeLlm } from '@picoclaw/test-fakes';

const round = (x: number) => Math.round(x * 10) / 10;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Runs `fn` against a gateway started with `config` as its config.json; resolves once it is ready. */
export type WithConfig = <T>(config: Record<string, unknown>, fn: () => Promise<T>) => Promise<T>;

export async function voiceTurnOverhead(llm: FakeLlm, withConfig: WithConfig, count = 60, warmUp = 5) {
  const note = await makeVoiceNote('turn on the kitchen light');

  // The answer's Bot API call, seen the moment the fake receives it (same process, same clock).
  let waiting: { text: string; done: (at: number) => void } | undefined;
  const tg = await startFakeTelegram({
    onCall: (call) => {
      if (waiting && String(call.body.text ?? '') === waiting.text) waiting.done(performance.now());
    },
  });
  const stt = await startFakeTranscription({ models: ['whisper-large-v3-turbo'] });
  const fileId = tg.addFile(note);
  try {
    return await withConfig(
      {
        agents: { defaults: { model_name: 'm' } },
        model_list: [
          { model_name: 'm', model: 'groq/bench', api_base: llm.url, api_keys: ['k'] },
          { model_name: 'whisper', model: 'groq/whisper-large-v3-turbo', api_base: stt.apiBase, api_keys: [stt.key] },
        ],
        voice: { model_name: 'whisper' },
        channel_list: { telegram: { enabled: true, type: 'telegram', settings: { token: tg.token, base_url: tg.url } } },
      },
      async () => {
        /** One turn in a chat of its own (no history weighs on later samples): ms minus the fakes' time. */
        const turn = async (i: number, voice: boolean) => {
          const tag = `${voice ? 'voice' : 'text'} ${i}`;
          const answered = new Promise<number>((done) => (waiting = { text: `you said: ${tag}`, done }));
          const [model, transcription] = [llm.modelMs, stt.busyMs];
          stt.setText(tag);
          const from = { id: 1000 + i + (voice ? 0 : 100_000) };
          const start = performance.now();
          if (voice) tg.pushVoice(fileId, { duration: 2 }, from);
          else tg.pushMessage(tag, from);
          const total = (await answered) - start;
          return { total, ours: total - (llm.modelMs - model) - (stt.busyMs - transcription), transcriptionMs: stt.busyMs - transcription };
        };
        const samples = { voice: [] as { total: number; ours: number; transcriptionMs: number }[], text: [] as { total: number; ours: number }[] };
        for (let i = 0; i < warmUp; i++) {
          await turn(-1 - i, true);
          await turn(-1 - i, false);
        }
        // Interleaved, so that both kinds see the same phases of a shared machine.
        for (let i = 0; i < count; i++) {
          samples.voice.push(await turn(i, true));
          samples.text.push(await turn(i, false));
        }
        const figures = (xs: { total: number; ours: number }[]) => ({ p50Ms: round(pct(xs.map((x) => x.ours), 50)), p99Ms: round(pct(xs.map((x) => x.ours), 99)), withFakesP50Ms: round(pct(xs.map((x) => x.total), 50)), n: xs.length });
        return {
          voice: { ...figures(samples.voice), transcriptionServerP50Ms: round(pct(samples.voice.map((x) => x.transcriptionMs), 50)), noteBytes: note.length, uploads: stt.uploads.length },
          text: figures(samples.text),
        };
      },
    );
  } finally {
    await Promise.all([tg.close(), stt.close()]);
  }
}
