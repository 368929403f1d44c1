/**
 * A real voice note made on this machine: `text` spoken by espeak-ng (WAV), encoded by opusenc
 * (OGG/Opus, what Telegram sends as a voice note and what speech APIs answer with `opus`).
 * Needs the Debian packages espeak-ng and opus-tools (scripts/test.sh installs them).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function makeVoiceNote(text: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'picoclaw-voice-note-'));
  try {
    await run('espeak-ng', ['-w', join(dir, 'note.wav'), text]);
    await run('opusenc', ['--quiet', join(dir, 'note.wav'), join(dir, 'note.ogg')]);
    return await readFile(join(dir, 'note.ogg'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
