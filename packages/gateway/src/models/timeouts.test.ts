import { describe, expect, it } from 'vitest';
import { untilAborted } from './timeouts.js';

describe('untilAborted', () => {
  it('stops waiting on a stream that ignores the abort, and passes values through until then', async () => {
    async function* stuck() {
      yield 1;
      await new Promise(() => {}); // a body that never ends and never fails
    }
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const value of untilAborted(stuck(), controller.signal)) seen.push(value);
    })();
    await new Promise((r) => setTimeout(r, 20));
    controller.abort(new Error('the turn was stopped'));
    await expect(done).rejects.toThrow('the turn was stopped');
    expect(seen).toEqual([1]);
  });

  it('ends normally with the stream', async () => {
    async function* three() {
      yield* [1, 2, 3];
    }
    const values: number[] = [];
    for await (const value of untilAborted(three(), new AbortController().signal)) values.push(value);
    expect(values).toEqual([1, 2, 3]);
  });
});
