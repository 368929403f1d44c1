/**
 * Server-sent events from a response body (any async iterable of bytes): yields the `data` of each event. Comment lines and other
 * fields are ignored; `[DONE]` ends the stream as OpenAI-style APIs use it.
 */
export async function* readSseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const chunks = body[Symbol.asyncIterator]();
  let complete = false;
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
            if (event === '[DONE]') {
              complete = true;
              return;
            }
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
    // After [DONE] the rest of the body (normally nothing but its end) is read in the background,
    // so a keep-alive connection goes back to the pool instead of being closed: a new TCP (and
    // TLS) connection per model call would cost more than the rest of the turn. A caller that
    // stops early closes the body, and its connection, at once.
    if (complete) void drain(chunks);
    else await chunks.return?.().catch(() => {});
  }
}

/** Reads what is left of a body, for at most `ms`; then closes it. */
async function drain(chunks: AsyncIterator<Uint8Array>, ms = 5_000) {
  const timer = setTimeout(() => void chunks.return?.().catch(() => {}), ms);
  timer.unref();
  try {
    while (!(await chunks.next()).done);
  } catch {
    // the connection broke after the answer: nothing lost
  } finally {
    clearTimeout(timer);
  }
}
