/**
 * The chat's microphone: records a voice message with MediaRecorder (Opus in WebM, or OGG where
 * that is what the browser makes) and hands it over as an `audio` attachment when the user stops.
 * The gateway transcribes it as a Telegram voice note (voice.model_name, voice.max_bytes,
 * voice.max_duration_seconds) and the transcript is the message; nothing is stored.
 * Shown only where the browser can record (a secure context with MediaRecorder).
 */
import { useEffect, useRef, useState } from 'react';
import { Mic, Square } from 'lucide-react';
import { clock, MAX_IMAGE_BYTES, readDataUrl, type Attachment } from './ChatImages.js';
import { t } from './i18n.js';

/** What transcription APIs read, in the browser's order of preference. */
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/ogg', 'audio/mp4'];

export const canRecord = () => typeof MediaRecorder !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;

export function useRecorder(done: (recording: Attachment) => void, refuse: (message: string) => void) {
  const [recording, setRecording] = useState(false);
  const [elapsed, setElapsed] = useState(0);
  const recorder = useRef<MediaRecorder | undefined>(undefined);
  useEffect(() => () => recorder.current?.stream.getTracks().forEach((track) => track.stop()), []);

  const start = async () => {
    if (recorder.current) return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      return refuse(t('chat.micDenied'));
    }
    const type = TYPES.find((candidate) => MediaRecorder.isTypeSupported(candidate));
    const rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    recorder.current = rec;
    const chunks: Blob[] = [];
    const started = Date.now();
    const timer = setInterval(() => setElapsed((Date.now() - started) / 1000), 250);
    rec.ondataavailable = (event) => {
      if (event.data.size) chunks.push(event.data);
    };
    rec.onstop = () => {
      clearInterval(timer);
      stream.getTracks().forEach((track) => track.stop());
      recorder.current = undefined;
      setRecording(false);
      const blob = new Blob(chunks, { type: rec.mimeType || type || 'audio/webm' });
      const seconds = (Date.now() - started) / 1000;
      if (!blob.size) return refuse(t('chat.recordingEmpty'));
      if (blob.size > MAX_IMAGE_BYTES) return refuse(t('chat.recordingTooLarge', { size: (blob.size / 1048576).toFixed(1) }));
      void readDataUrl(blob).then(
        (dataUrl) => done({ id: crypto.randomUUID(), kind: 'audio', name: t('chat.recording'), size: blob.size, dataUrl, seconds }),
        () => refuse(t('chat.recordingEmpty')),
      );
    };
    setElapsed(0);
    setRecording(true);
    // Chunks every second: a long recording is not held in one piece until the end.
    rec.start(1000);
  };
  const stop = () => {
    if (recorder.current?.state === 'recording') recorder.current.stop();
  };
  return { recording, elapsed, start, stop };
}

export function RecordButton(props: { recorder: ReturnType<typeof useRecorder> }) {
  const { recording, elapsed, start, stop } = props.recorder;
  return recording ? (
    <button type="button" className="secondary record recording" aria-label={t('chat.stopRecording')} title={t('chat.stopRecording')} onClick={stop}>
      <Square size={14} /> {clock(elapsed)}
    </button>
  ) : (
    <button type="button" className="secondary record" aria-label={t('chat.record')} title={t('chat.record')} onClick={() => void start()}><Mic size={18} /></button>
  );
}
