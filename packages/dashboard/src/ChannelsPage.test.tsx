// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TestMessage, firstTarget } from './ChannelsPage.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('Send test message', () => {
  it('prefills Telegram with the first allow_from id (not a @username) and MQTT with the first device', () => {
    expect(firstTarget('telegram', ['@friend', 'telegram:42|alice', '7'])).toBe('42');
    expect(firstTarget('telegram', ['@friend', '*'])).toBe('');
    expect(firstTarget('mqtt', ['*', 'kitchen'])).toBe('kitchen');
  });

  it("posts the chat id and shows the channel's own refusal", async () => {
    const fetchMock = vi.fn(async (_url: string, init?: RequestInit) => {
      const chat = (JSON.parse(String(init?.body)) as { chat_id: string }).chat_id;
      return chat === '42'
        ? new Response(JSON.stringify({ status: 'sent' }), { status: 200 })
        : new Response(JSON.stringify({ error: `telegram: chat ${chat} is not in allow_from (add it to channel_list.telegram.allow_from)` }), { status: 422 });
    });
    vi.stubGlobal('fetch', fetchMock);
    render(<TestMessage name="telegram" type="telegram" allowFrom={['@friend', '42']} />);
    const input = screen.getByLabelText('Test message to chat id');
    expect((input as HTMLInputElement).value).toBe('42');
    fireEvent.click(screen.getByRole('button', { name: 'Send test message' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Test message sent to 42.'));
    expect(fetchMock).toHaveBeenCalledWith('/api/channels/telegram/test', expect.objectContaining({ method: 'POST', body: '{"chat_id":"42"}' }));
    fireEvent.change(input, { target: { value: '999' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send test message' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('telegram: chat 999 is not in allow_from (add it to channel_list.telegram.allow_from)'));
    fireEvent.change(input, { target: { value: ' ' } });
    expect((screen.getByRole('button', { name: 'Send test message' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
