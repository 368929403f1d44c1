import { describe, expect, it } from 'vitest';
import { markdownToTelegramHtml, splitMessage } from './telegram-format.js';

describe('markdownToTelegramHtml', () => {
  it.each([
    ['**bold** and *italic* and _also_', '<b>bold</b> and <i>italic</i> and <i>also</i>'],
    ['use `a < b` here', 'use <code>a &lt; b</code> here'],
    ['see [docs](https://example.com/a?b=1&c=2)', 'see <a href="https://example.com/a?b=1&amp;c=2">docs</a>'],
    ['# Title', '<b>Title</b>'],
    ['- one\n- two', '• one\n• two'],
    ['5 < 6 & 7 > 3', '5 &lt; 6 &amp; 7 &gt; 3'],
    ['```ts\nconst a = 1 < 2;\n```', '<pre><code class="language-ts">const a = 1 &lt; 2;</code></pre>'],
    ['snake_case_name stays', 'snake_case_name stays'],
    ['2 * 3 * 4', '2 * 3 * 4'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
  ])('%j', (input, expected) => {
    expect(markdownToTelegramHtml(input)).toBe(expected);
  });
});

describe('splitMessage', () => {
  it('keeps short texts whole', () => {
    expect(splitMessage('hello')).toEqual(['hello']);
  });

  it('splits 5,000 characters into chunks under the limit, on line boundaries', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const chunks = splitMessage(text);
    expect(chunks.length).toBe(2);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(4096);
    expect(chunks.join('\n')).toBe(text);
    expect(chunks[1]).toMatch(/^line \d+ /);
  });

  it('closes and reopens a code block cut in two', () => {
    const code = ['```python', ...Array.from({ length: 200 }, (_, i) => `print(${i})  # ${'y'.repeat(20)}`), '```'].join('\n');
    const chunks = splitMessage(`Here:\n${code}`, 2000);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect((c.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(chunks[1]).toMatch(/^```python\n/);
  });

  it('hard-cuts a text without spaces', () => {
    const chunks = splitMessage('a'.repeat(10_000), 4096);
    expect(chunks.map((c) => c.length)).toEqual([4092, 4092, 1816]);
  });
});
