import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from './config/schema.js';
import { collectSecrets } from './config/secrets.js';
import { createLogger, createSecretMasker, REDACTED } from './logger.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, lines: () => text.trim().split('\n').filter(Boolean) };
}
const flush = () => new Promise((r) => setTimeout(r, 20));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'picoclaw-log-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

describe('logger', () => {
  it('writes JSON lines with time, level, name and metadata', async () => {
    const out = capture();
    const log = createLogger({ name: 'gateway', console: 'json', stream: out.stream });
    log.info('ready', { port: 18790 });
    await flush();
    const line = JSON.parse(out.lines()[0]!);
    expect(line).toMatchObject({ level: 'info', message: 'ready', name: 'gateway', port: 18790 });
    expect(Date.parse(line.time)).not.toBeNaN();
  });

  it('writes a readable line on a terminal', async () => {
    const out = capture();
    const log = createLogger({ name: 'launcher', console: 'pretty', stream: out.stream });
    log.warn('gateway restarted', { attempt: 2 });
    await flush();
    expect(out.lines()[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}launcher gateway restarted attempt=2$/);
  });

  it('shows control and bidi characters from outside as visible escapes, and indents continuation lines', async () => {
    // A Telegram display name with a right-to-left override, an MQTT client id with NUL and an
    // escape sequence, an HTTP header with a line break that would forge an entry of its own.
    const name = 'ann\u202Egnp.exe';
    const device = 'dev\u0000\u001b[2Jx';
    const forged = 'x\n12:00:00.000 INFO  launcher dashboard password set';
    for (const mode of ['json', 'pretty'] as const) {
      const out = capture();
      const log = createLogger({ name: 'gateway', console: mode, stream: out.stream });
      log.info(`message from ${name} on ${device}: ${forged}`, { client: device, header: forged });
      await flush();
      const text = out.lines().join('\n');
      expect([...text].some((c) => c === '\u0000' || c === '\u001b' || c === '\u202e')).toBe(false);
      const message = mode === 'json' ? String(JSON.parse(out.lines()[0]!).message) : text;
      expect(message).toContain('ann\\u{202e}gnp.exe');
      expect(message).toContain('dev\\u{0000}\\u{001b}[2Jx');
      if (mode === 'pretty') {
        expect(out.lines()).toHaveLength(2);
        expect(out.lines()[1]).toMatch(/^ {4}12:00/); // the forged line is visibly part of the entry above
        expect(text).toContain('header=x\\u{000a}12:00');
      } else expect(JSON.parse(out.lines()[0]!).client).toBe('dev\\u{0000}\\u{001b}[2Jx');
    }
  });

  it('masks registered secrets in the message, nested metadata and errors', async () => {
    const out = capture();
    const masker = createSecretMasker();
    masker.add('mk-secret-value', 'ha-token-xyz');
    const log = createLogger({ name: 'gateway', console: 'json', stream: out.stream, masker });
    const meta = { request: { headers: ['x', 'ha-token-xyz'] }, note: 'key mk-secret-value' };
    log.error('call failed with mk-secret-value', { ...meta, error: new Error('bad key mk-secret-value') });
    await flush();
    const text = out.lines().join('\n');
    expect(text).not.toMatch(/mk-secret-value|ha-token-xyz/);
    expect(text).toContain(REDACTED);
    expect(meta.note).toBe('key mk-secret-value'); // the caller's object is not modified
  });

  it('masks secret-looking shapes and secret-named keys even when not registered', async () => {
    const out = capture();
    const log = createLogger({ name: 'gateway', console: 'json', stream: out.stream });
    log.info('GET /?token=abc123def&x=1 Authorization: Bearer eyJhbGciOi.xyz', { url: 'https://api.telegram.org/bot123456:AAH-secret_x/getMe', password: 'hunter22', nested: { api_key: 'k-123456' } });
    await flush();
    const text = out.lines()[0]!;
    expect(text).not.toMatch(/abc123def|eyJhbGciOi|AAH-secret_x|hunter22|k-123456/);
    expect(text).toContain('x=1');
  });

  it('no secret of a generated config survives the log format', async () => {
    const secretArb = fc.string({ minLength: 6, maxLength: 30, unit: 'grapheme' }).filter((s) => s.trim().length >= 6);
    await fc.assert(
      fc.asyncProperty(fc.tuple(secretArb, secretArb, secretArb), fc.string(), async ([model, tg, ha], noise) => {
        const config = configSchema.parse({
          model_list: [{ model_name: 'm', model: 'mistral/x', api_keys: [model] }],
          channel_list: { telegram: { type: 'telegram', settings: { token: tg } } },
          tools: { mcp: { servers: { ha: { type: 'http', url: 'http://h/api/mcp', headers: { Authorization: ha } } } } },
        });
        const masker = createSecretMasker();
        masker.add(...collectSecrets(config));
        const out = capture();
        const log = createLogger({ name: 't', console: 'json', stream: out.stream, masker });
        log.info(`${noise}${model}${noise}`, { detail: `${tg} and ${ha}`, list: [model] });
        await flush();
        const text = out.lines().map((l) => JSON.parse(l) as { message: string; detail: string; list: string[] });
        for (const line of text) {
          for (const s of [model, tg, ha]) {
            expect(line.message.includes(s) && !`${noise}${REDACTED}${noise}`.includes(s)).toBe(false);
            expect(line.detail).not.toContain(s);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('writes masked JSON lines to the log file', async () => {
    const masker = createSecretMasker();
    masker.add('file-secret-1');
    const file = join(dir, 'logs', 'gateway.log');
    const log = createLogger({ name: 'gateway', console: false, file, masker });
    log.info('using file-secret-1');
    await new Promise((r) => setTimeout(r, 100));
    const text = await readFile(file, 'utf8');
    expect(JSON.parse(text.trim().split('\n')[0]!)).toMatchObject({ message: `using ${REDACTED}`, name: 'gateway' });
  });

  it.skipIf(process.getuid?.() === 0)('keeps logging to the console when the log file cannot be opened', async () => {
    await chmod(dir, 0o500);
    const out = capture();
    const log = createLogger({ name: 'gateway', console: 'json', stream: out.stream, file: join(dir, 'sub', 'x.log') });
    log.info('still here');
    await flush();
    expect(out.lines().join('\n')).toMatch(/still here/);
  });
});
