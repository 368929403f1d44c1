/**
 * Server-sent events from a response body (any async iterable of bytes): yields the `data` of each event. Comment lines and other
 * fields are ignored; `[DONE]` ends the stream as OpenAI-style APIs use it.
 */
export async function* readSseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const chunks = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const { value, done } = await chunks.next();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length) {
            const event = data.join('\n');
            data = [];
            if (event === '[DONE]') return;
            yield event;
          }
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        }
      }
      if (done) {
        if (data.length && data.join('\n') !== '[DONE]') yield data.join('\n');
        return;
      }
    }
  } finally {
    // Stops the body (and closes its connection) when the caller stops early.
    await chunks.return?.().catch(() => {});
  }
}
