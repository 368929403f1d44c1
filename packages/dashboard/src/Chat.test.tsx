// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Chat } from './Chat.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** A WebSocket the test drives: the last one made is `FakeSocket.last`. */
class FakeSocket {
  static OPEN = 1;
  static last: FakeSocket | undefined;
  readyState = 0;
  onopen?: () => void;
  onclose?: () => void;
  onmessage?: (event: { data: string }) => void;
  constructor(readonly url: string) {
    FakeSocket.last = this;
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.();
    });
  }
  sent: string[] = [];
  send(data: string) {
    this.sent.push(data);
  }
  close() {}
}

const PNG = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));
const pngFile = (name = 'cat.png') => new File([PNG], name, { type: 'image/png' });

/** The chat with a history (`messages`) and a socket the test drives. */
async function chat(messages: unknown[] = []) {
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('fetch', vi.fn(async (url: string) => new Response(JSON.stringify(url.endsWith('/api/sessions') ? { sessions: [] } : { messages }), { status: 200 })));
  const view = render(<Chat />);
  await waitFor(() => expect(FakeSocket.last?.readyState).toBe(1));
  const fileInput = view.container.querySelector('input[type=file]') as HTMLInputElement;
  const choose = (...files: File[]) => fireEvent.change(fileInput, { target: { files } });
  return { ...view, socket: FakeSocket.last!, choose };
}

describe('Chat', () => {
  it('shows a message the gateway sends first (a schedule) as an assistant message, with no user message', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('fetch', vi.fn(async (url: string) => new Response(JSON.stringify(url.endsWith('/api/sessions') ? { sessions: [] } : { messages: [] }), { status: 200 })));
    const { container } = render(<Chat />);
    await waitFor(() => expect(FakeSocket.last?.readyState).toBe(1));
    act(() => FakeSocket.last!.onmessage!({ data: JSON.stringify({ type: 'message.create', session_id: 's', payload: { message_id: 'm1', content: 'Time for the **meeting**' } }) }));
    const message = await waitFor(() => container.querySelector('.message.assistant')!);
    expect(message.querySelector('strong')?.textContent).toBe('meeting');
    expect(container.querySelector('.message.user')).toBeNull();
    expect(container.querySelector('.typing')).toBeNull();
  });
});

describe('Chat answers', () => {
  const answer = (socket: FakeSocket, id: string, content: string, extra: Record<string, unknown> = {}) =>
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'message.create', payload: { message_id: id, content, ...extra } }) }));

  it('Copy puts the answer text on the clipboard and says Copied; the answering model is shown under it', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', Object.create(navigator, { clipboard: { value: { writeText } } }));
    const { container, socket, queryByRole, getAllByRole } = await chat();
    answer(socket, 'm1', 'Run `ls -la`', { model_name: 'mistral-small' });
    answer(socket, 'm2', 'Second answer', { model_name: 'llama-local' });
    await waitFor(() => expect(container.querySelectorAll('.message.assistant')).toHaveLength(2));
    expect([...container.querySelectorAll('.message.assistant .model')].map((e) => e.textContent)).toEqual(['mistral-small', 'llama-local']);
    fireEvent.click(getAllByRole('button', { name: 'Copy answer' })[0]!);
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('Run `ls -la`'));
    await waitFor(() => expect(container.querySelector('.message.assistant [role=status]')!.textContent).toBe('Copied'));
    expect(getAllByRole('button', { name: 'Copy answer' })).toHaveLength(2);
    // A tool card has no Copy of its own.
    answer(socket, 't1', '', { kind: 'tool_calls', tool_calls: [{ id: 'c1', function: { name: 'x', arguments: '{}' } }] });
    expect(getAllByRole('button', { name: 'Copy answer' })).toHaveLength(2);
    // Nothing was asked here (a schedule's messages): nothing to retry.
    expect(queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it("shows the model from the history's model_name after a reload, marked when it was a fallback", async () => {
    const { container, socket } = await chat([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Hello.', model_name: 'mistral-small' }, { role: 'assistant', content: 'Still here.', model_name: 'groq', fallback: true }]);
    await waitFor(() => expect([...container.querySelectorAll('.message.assistant .model')].map((e) => e.textContent)).toEqual(['mistral-small', 'groq']));
    const badges = () => [...container.querySelectorAll('.message.assistant')].map((m) => m.querySelector('.badge')?.textContent ?? null);
    expect(badges()).toEqual([null, 'fallback']);
    answer(socket, 'm3', 'Live from the backup.', { model_name: 'groq', fallback: true });
    await waitFor(() => expect(badges()).toEqual([null, 'fallback', 'fallback']));
    expect(container.querySelectorAll('.message.assistant')[2]!.querySelector('.badge')!.getAttribute('title')).toMatch(/fallback model/);
  });

  it('Retry on the last answer, or on an error, sends the last user message again; only the last answer has it', async () => {
    const { container, socket, getByRole, getByLabelText, queryAllByRole } = await chat();
    fireEvent.change(getByLabelText('Message'), { target: { value: 'first question' } });
    fireEvent.click(getByRole('button', { name: 'Send' }));
    answer(socket, 'a1', 'first answer');
    fireEvent.change(getByLabelText('Message'), { target: { value: 'turn on the kitchen light' } });
    fireEvent.click(getByRole('button', { name: 'Send' }));
    answer(socket, 'a2', 'Done.');
    await waitFor(() => expect(queryAllByRole('button', { name: 'Retry' })).toHaveLength(1));
    fireEvent.click(getByRole('button', { name: 'Retry' }));
    const frames = socket.sent.map((f) => JSON.parse(f) as { type: string; payload: { content: string } });
    expect(frames.map((f) => f.payload.content)).toEqual(['first question', 'turn on the kitchen light', 'turn on the kitchen light']);
    expect(frames[2]!.type).toBe('message.send');
    // While an answer is being written, no Retry; an error answer has it.
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'typing.start' }) }));
    expect(queryAllByRole('button', { name: 'Retry' })).toHaveLength(0);
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'typing.stop' }) }));
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'error', payload: { message: 'All models failed (rate limited).' } }) }));
    const retry = await waitFor(() => getByRole('button', { name: 'Retry' }));
    expect(retry.closest('.message')!.classList.contains('error')).toBe(true);
    expect(container.querySelector('.message.error')!.querySelector('button[aria-label="Copy answer"]')).toBeNull();
    fireEvent.click(retry);
    expect(JSON.parse(socket.sent.at(-1)!)).toMatchObject({ type: 'message.send', payload: { content: 'turn on the kitchen light' } });
  });
});

describe('Chat retry with images', () => {
  it('sends the images of the last message again: a stored one fetched back as a data URL, an image-only message too', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    const fetched: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      fetched.push(url);
      if (url.startsWith('/api/media/images/')) return url.endsWith('gone.png') ? new Response('', { status: 404 }) : new Response(PNG, { status: 200, headers: { 'content-type': 'image/png' } });
      const messages = [{ role: 'user', content: '', media: ['media/images/abc.png'] }, { role: 'assistant', content: 'A cat.' }];
      return new Response(JSON.stringify(url.endsWith('/api/sessions') ? { sessions: [] } : { messages }), { status: 200 });
    }));
    const { getByRole, container } = render(<Chat />);
    await waitFor(() => expect(FakeSocket.last?.readyState).toBe(1));
    fireEvent.click(await waitFor(() => getByRole('button', { name: 'Retry' })));
    await waitFor(() => expect(FakeSocket.last!.sent).toHaveLength(1));
    expect(fetched).toContain('/api/media/images/abc.png');
    const frame = JSON.parse(FakeSocket.last!.sent[0]!) as { payload: { content: string; media: string[] } };
    expect(frame.payload).toEqual({ content: '', media: [expect.stringMatching(/^data:image\/png;base64,iVBORw0KGgo/)] });
    expect(container.querySelectorAll('.message.user img')).toHaveLength(2);
  });

  it('says so when a stored image is gone, and sends nothing', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      if (url.startsWith('/api/media/images/')) return new Response('', { status: 404 });
      const messages = [{ role: 'user', content: 'and this?', media: ['media/images/gone.png'] }, { role: 'assistant', content: 'A dog.' }];
      return new Response(JSON.stringify(url.endsWith('/api/sessions') ? { sessions: [] } : { messages }), { status: 200 });
    }));
    const { getByRole, findByText } = render(<Chat />);
    await waitFor(() => expect(FakeSocket.last?.readyState).toBe(1));
    fireEvent.click(await waitFor(() => getByRole('button', { name: 'Retry' })));
    await findByText(/no longer stored/);
    expect(FakeSocket.last!.sent).toHaveLength(0);
  });
});

describe('Chat images', () => {
  it('attaches a chosen picture as a chip, sends it as a data URL in payload.media, shows it in the bubble; the chip can be removed', async () => {
    const { container, socket, choose, getByRole, getByLabelText } = await chat();
    choose(pngFile('cat.png'), pngFile('dog.png'));
    await waitFor(() => expect(container.querySelectorAll('.attachments img')).toHaveLength(2));
    fireEvent.click(getByRole('button', { name: 'Remove dog.png' }));
    expect([...container.querySelectorAll('.attachments img')].map((i) => i.getAttribute('alt'))).toEqual(['cat.png']);
    // An image alone can be sent: the button is enabled with an empty text box.
    expect((getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(false);
    fireEvent.change(getByLabelText('Message'), { target: { value: 'what is this?' } });
    fireEvent.click(getByRole('button', { name: 'Send' }));
    const frame = JSON.parse(socket.sent.at(-1)!) as { type: string; id: string; payload: { content: string; media: string[] } };
    expect(frame).toMatchObject({ type: 'message.send', id: expect.any(String), payload: { content: 'what is this?', media: [expect.stringMatching(/^data:image\/png;base64,iVBORw0KGgo/)] } });
    const bubble = container.querySelector('.message.user')!;
    expect(bubble.querySelector('img')!.getAttribute('src')).toBe(frame.payload.media[0]);
    expect(bubble.querySelector('a')!.getAttribute('target')).toBe('_blank');
    expect(bubble.textContent).toContain('what is this?');
    expect(container.querySelector('.attachments')).toBeNull();
  });

  it('any other file (an SVG too) is a file chip, sent as an attachment of type file with its name; the bubble shows its name and size', async () => {
    const { container, socket, choose, getByRole } = await chat();
    choose(new File(['a,b\n1,2\n'], 'data.csv', { type: 'text/csv' }), new File(['<svg/>'], 'logo.svg', { type: 'image/svg+xml' }), pngFile('cat.png'));
    await waitFor(() => expect(container.querySelectorAll('.attachments li')).toHaveLength(3));
    expect([...container.querySelectorAll('.attachments li.file')].map((li) => li.textContent)).toEqual(['data.csv 1 KB', 'logo.svg 1 KB']);
    fireEvent.click(getByRole('button', { name: 'Send' }));
    const frame = JSON.parse(socket.sent.at(-1)!) as { payload: Record<string, unknown> };
    expect(frame.payload).toEqual({
      content: '',
      media: [expect.stringMatching(/^data:image\/png;base64,/)],
      attachments: [
        { type: 'file', url: `data:text/csv;base64,${btoa('a,b\n1,2\n')}`, filename: 'data.csv' },
        { type: 'file', url: `data:image/svg+xml;base64,${btoa('<svg/>')}`, filename: 'logo.svg' },
      ],
    });
    const bubble = container.querySelector('.message.user')!;
    expect([...bubble.querySelectorAll('.files li')].map((li) => li.textContent)).toEqual(['data.csv 1 KB', 'logo.svg 1 KB']);
    expect(bubble.querySelectorAll('img')).toHaveLength(1);
  });

  it('refuses an empty file, and one over 20 MB, with a message; nothing is attached', async () => {
    const { container, choose, findByRole } = await chat();
    choose(new File([], 'empty.txt', { type: 'text/plain' }));
    expect((await findByRole('alert')).textContent).toContain('empty.txt is empty, so there is nothing to send.');
    const huge = pngFile('huge.png');
    Object.defineProperty(huge, 'size', { value: 25 * 1024 * 1024 });
    choose(huge);
    await waitFor(() => expect(container.querySelector('[role=alert]')!.textContent).toContain('huge.png is 25.0 MB; a message can carry up to 20 MB of images and files.'));
    expect(container.querySelector('.attachments')).toBeNull();
  });

  it('pasting a picture into the text box attaches it', async () => {
    const { container, getByLabelText } = await chat();
    fireEvent.paste(getByLabelText('Message'), { clipboardData: { files: [pngFile('pasted.png')], types: ['Files'] } });
    await waitFor(() => expect(container.querySelector('.attachments img')?.getAttribute('alt')).toBe('pasted.png'));
  });

  it('an invalid_media answer to the frame shows the reason and puts the text and the image back in the composer', async () => {
    const { container, socket, choose, getByRole, getByLabelText, findByRole } = await chat();
    choose(pngFile());
    await waitFor(() => expect(container.querySelector('.attachments img')).not.toBeNull());
    fireEvent.change(getByLabelText('Message'), { target: { value: 'look' } });
    fireEvent.click(getByRole('button', { name: 'Send' }));
    const { id } = JSON.parse(socket.sent.at(-1)!) as { id: string };
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'error', payload: { code: 'invalid_media', message: 'media[0]: image exceeds 1024 byte limit (agents.defaults.max_media_size)', request_id: id } }) }));
    expect((await findByRole('alert')).textContent).toContain('Not sent: media[0]: image exceeds 1024 byte limit (agents.defaults.max_media_size)');
    expect((getByLabelText('Message') as HTMLTextAreaElement).value).toBe('look');
    expect(container.querySelector('.attachments img')).not.toBeNull();
    expect(container.querySelector('.message.user')).toBeNull();
  });

  it("shows the history's images from the launcher's media route, an image-only message included", async () => {
    const name = `${'a'.repeat(32)}.png`;
    const { container } = await chat([{ role: 'user', content: '', media: [`media/images/${name}`] }, { role: 'assistant', content: 'A cat.' }]);
    await waitFor(() => expect(container.querySelector('.message.user img')?.getAttribute('src')).toBe(`/api/media/images/${name}`));
    expect(container.querySelector('.message.user a')!.getAttribute('href')).toBe(`/api/media/images/${name}`);
  });

  it("shows the history's files as chips and a tool's images on the answer", async () => {
    const name = `${'b'.repeat(32)}.png`;
    const { container } = await chat([
      { role: 'user', content: 'sum this', files: [{ path: 'media/inbox/2026-12-06-power.csv', name: 'power.csv', size: '1 KB' }] },
      { role: 'assistant', content: 'The door is open.', media: [`media/images/${name}`] },
    ]);
    await waitFor(() => expect(container.querySelector('.message.user .files li')?.textContent).toBe('power.csv 1 KB'));
    expect(container.querySelector('.message.user .content')!.textContent).toBe('sum this');
    expect(container.querySelector('.message.assistant img')!.getAttribute('src')).toBe(`/api/media/images/${name}`);
  });

  it('a tool card whose result carries media shows those images under the card', async () => {
    const { container, socket } = await chat();
    const call = { id: 'c1', type: 'function', function: { name: 'mcp_homeassistant_camerasnapshot', arguments: '{}' } };
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'message.create', payload: { message_id: 't1', content: '', kind: 'tool_calls', tool_calls: [call] } }) }));
    await waitFor(() => expect(container.querySelector('details.tool')).not.toBeNull());
    expect(container.querySelector('.tool-images')).toBeNull();
    const media = [`media/images/${'c'.repeat(32)}.png`];
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'message.update', payload: { message_id: 't1', content: '', kind: 'tool_calls', tool_calls: [{ ...call, result: { content: 'snapshot', is_error: false } }], media } }) }));
    await waitFor(() => expect(container.querySelector('.tool-images img')?.getAttribute('src')).toBe(`/api/media/images/${'c'.repeat(32)}.png`));
    expect(container.querySelectorAll('details.tool')).toHaveLength(1);
  });
});

/** A MediaRecorder the test drives: one chunk of Opus-in-WebM bytes when stopped. */
class FakeRecorder {
  static isTypeSupported = (type: string) => type === 'audio/webm;codecs=opus';
  state = 'inactive';
  mimeType: string;
  ondataavailable?: (event: { data: Blob }) => void;
  onstop?: () => void;
  constructor(readonly stream: { getTracks(): { stop(): void }[] }, options?: { mimeType?: string }) {
    this.mimeType = options?.mimeType ?? '';
  }
  start() {
    this.state = 'recording';
  }
  stop() {
    this.state = 'inactive';
    this.ondataavailable?.({ data: new Blob([Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 9, 9])], { type: this.mimeType }) });
    this.onstop?.();
  }
}

describe('Chat voice', () => {
  it('the microphone records, and stopping sends the recording as an audio attachment with the typed text; the bubble shows its length', async () => {
    const stopped: string[] = [];
    vi.stubGlobal('MediaRecorder', FakeRecorder);
    vi.stubGlobal('navigator', Object.assign(Object.create(navigator), { mediaDevices: { getUserMedia: async () => ({ getTracks: () => [{ stop: () => stopped.push('track') }] }) } }));
    const { container, socket, getByRole, getByLabelText } = await chat();
    fireEvent.change(getByLabelText('Message'), { target: { value: 'kitchen' } });
    fireEvent.click(getByRole('button', { name: 'Record voice' }));
    const stop = await waitFor(() => getByRole('button', { name: 'Stop recording and send' }));
    fireEvent.click(stop);
    await waitFor(() => expect(socket.sent).toHaveLength(1));
    const frame = JSON.parse(socket.sent[0]!) as { payload: { content: string; attachments: { type: string; url: string; duration: number }[] } };
    expect(frame.payload.content).toBe('kitchen');
    expect(frame.payload.attachments).toEqual([{ type: 'audio', url: `data:audio/webm;codecs=opus;base64,${btoa('\x1a\x45\xdf\xa3\x09\x09')}`, duration: expect.any(Number) }]);
    expect(stopped).toEqual(['track']);
    expect(container.querySelector('.message.user .voice-chip')!.textContent).toMatch(/^0:0\d$/);
    expect((getByLabelText('Message') as HTMLTextAreaElement).value).toBe('');
    expect(container.querySelector('.attachments')).toBeNull();
    // The gateway's "heard" line is shown as such.
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'message.create', payload: { message_id: 'h1', content: '🎙 heard: kitchen light on', kind: 'transcript' } }) }));
    expect(container.querySelector('.message.transcript')!.textContent).toBe('🎙 heard: kitchen light on');
  });

  it('a microphone the browser refuses: a message says how to allow it; a transcription failure puts the recording back with the reason', async () => {
    vi.stubGlobal('MediaRecorder', FakeRecorder);
    let allow = false;
    vi.stubGlobal('navigator', Object.assign(Object.create(navigator), { mediaDevices: { getUserMedia: async () => {
      if (!allow) throw new DOMException('denied', 'NotAllowedError');
      return { getTracks: () => [] };
    } } }));
    const { container, socket, getByRole, findByRole } = await chat();
    fireEvent.click(getByRole('button', { name: 'Record voice' }));
    expect((await findByRole('alert')).textContent).toContain('The microphone is not available: allow it for this page in the browser');
    allow = true;
    fireEvent.click(getByRole('button', { name: 'Record voice' }));
    fireEvent.click(await waitFor(() => getByRole('button', { name: 'Stop recording and send' })));
    await waitFor(() => expect(socket.sent).toHaveLength(1));
    const { id } = JSON.parse(socket.sent[0]!) as { id: string };
    act(() => socket.onmessage!({ data: JSON.stringify({ type: 'error', payload: { code: 'transcription_failed', message: 'I could not make out any words in that recording.', request_id: id } }) }));
    await waitFor(() => expect(container.querySelector('[role=alert]')!.textContent).toContain('Not sent: I could not make out any words in that recording. Your message is back in the box.'));
    expect(container.querySelector('.attachments li.audio')!.textContent).toMatch(/^0:0\d/);
    expect(container.querySelector('.message.user')).toBeNull();
  });
});
