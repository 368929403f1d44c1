/**
 * Markdown as the models write it, rendered to the small HTML subset Telegram accepts (b, i, s,
 * code, pre, a, blockquote), and long texts split under Telegram's 4096-character limit on
 * paragraph, line or word boundaries without breaking a code block.
 */
export const TELEGRAM_LIMIT = 4096;

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeHtml(s).replace(/"/g, '&quot;');

function inline(text: string): string {
  // Code spans first, so nothing inside them is formatted.
  const codes: string[] = [];
  let out = text.replace(/`([^`\n]+)`/g, (_m, code: string) => `\uE000${codes.push(`<code>${escapeHtml(code)}</code>`) - 1}\uE000`);
  out = escapeHtml(out);
  out = out.replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, (_m, label: string, url: string) => `<a href="${escapeAttr(url.replace(/&amp;/g, '&'))}">${label}</a>`);
  out = out.replace(/\*\*(?=\S)([^*\n]+?)\*\*/g, '<b>$1</b>').replace(/__(?=\S)([^_\n]+?)__/g, '<b>$1</b>');
  out = out.replace(/(^|[^*\w])\*(?=\S)([^*\n]+?)\*(?!\w)/g, '$1<i>$2</i>').replace(/(^|[^_\w])_(?=\S)([^_\n]+?)_(?!\w)/g, '$1<i>$2</i>');
  out = out.replace(/~~(?=\S)([^~\n]+?)~~/g, '<s>$1</s>');
  return out.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => codes[Number(i)]!);
}

export function markdownToTelegramHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s*```\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
      const lang = fence[1] ? ` class="language-${escapeAttr(fence[1])}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      out.push(`<b>${inline(heading[1]!)}</b>`);
      continue;
    }
    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) {
      out.push(`<blockquote>${inline(quote[1]!)}</blockquote>`);
      continue;
    }
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (bullet) {
      out.push(`${bullet[1]}• ${inline(bullet[2]!)}`);
      continue;
    }
    out.push(inline(line));
  }
  return out.join('\n');
}

/**
 * Splits text into chunks of at most `limit` characters, preferring a paragraph break, then a
 * line break, then a space near the end of each chunk. A ``` block cut in two is closed at the end
 * of one chunk and reopened (with its language) at the start of the next.
 */
export function splitMessage(text: string, limit = TELEGRAM_LIMIT): string[] {
  const chunks: string[] = [];
  let rest = text;
  let reopen = '';
  while (rest.length > 0) {
    rest = reopen + rest;
    if (rest.length <= limit) {
      chunks.push(rest);
      break;
    }
    const room = limit - 4; // space for a closing fence
    const window = rest.slice(0, room);
    let cut = Math.max(window.lastIndexOf('\n\n'), -1);
    if (cut < room * 0.5) cut = window.lastIndexOf('\n');
    if (cut < room * 0.5) cut = window.lastIndexOf(' ');
    if (cut < room * 0.5) cut = room;
    let chunk = rest.slice(0, cut);
    const fences = chunk.match(/^\s*```.*$/gm) ?? [];
    reopen = '';
    if (fences.length % 2 === 1) {
      const lang = /```\s*([\w+-]*)/.exec(fences.at(-1)!)?.[1] ?? '';
      chunk += '\n```';
      reopen = `\`\`\`${lang}\n`;
    }
    chunks.push(chunk.trimEnd());
    rest = rest.slice(cut).replace(/^\s+/, '');
  }
  return chunks.filter((c) => c.trim().length > 0);
}
