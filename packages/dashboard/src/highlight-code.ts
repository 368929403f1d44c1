/**
 * Syntax highlighting for fenced code blocks in answers, loaded (as its own chunk) only when an
 * answer has a block with a language: highlight.js core with a handful of languages a homelab
 * answer uses. Its output escapes the code's text (only its own <span class> markup is HTML), so
 * a prompt-injected answer cannot put markup on the page through a code block.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import typescript from 'highlight.js/lib/languages/typescript';
import yaml from 'highlight.js/lib/languages/yaml';

hljs.registerLanguage('bash', bash);
hljs.registerLanguage('javascript', javascript);
hljs.registerLanguage('json', json);
hljs.registerLanguage('python', python);
hljs.registerLanguage('typescript', typescript);
hljs.registerLanguage('yaml', yaml);
hljs.registerAliases(['shell', 'console'], { languageName: 'bash' });

/** The block's HTML, or undefined for a language not loaded here (shown as plain text). */
export function highlightCode(code: string, language: string): string | undefined {
  if (!hljs.getLanguage(language)) return undefined;
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}
