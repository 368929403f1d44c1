// @vitest-environment happy-dom
import { act, cleanup, render, waitFor } from '@testing-library/react';
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
  send() {}
  close() {}
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
