/** Model answers as Markdown (GFM tables, code); raw HTML is not rendered and links open safely. */
import { useEffect, useState, type ReactNode } from 'react';
import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';

/**
 * A fenced block with a language (`language-x` class) is highlighted once the highlighter chunk
 * has loaded; until then, for an unknown language and for inline code, plain text.
 */
function Code({ className, children }: { className?: string | undefined; children?: ReactNode }) {
  const language = /(?:^|\s)language-([\w+-]+)/.exec(className ?? '')?.[1]?.toLowerCase();
  const text = typeof children === 'string' ? children : undefined;
  const [html, setHtml] = useState<string | undefined>();
  useEffect(() => {
    if (!language || text === undefined) return setHtml(undefined);
    let current = true;
    void import('./highlight-code.js').then(({ highlightCode }) => current && setHtml(highlightCode(text, language)), () => {});
    return () => {
      current = false;
    };
  }, [language, text]);
  // The highlighter escapes the text; its own spans are the only markup (highlight-code.ts).
  return html === undefined ? <code className={className}>{children}</code> : <code className={`${className ?? ''} hljs`} dangerouslySetInnerHTML={{ __html: html }} />;
}

export function Markdown({ text }: { text: string }) {
  return (
    <ReactMarkdown
      remarkPlugins={[remarkGfm]}
      skipHtml
      components={{
        a: ({ href, children }) => <a href={href} target="_blank" rel="noopener noreferrer nofollow">{children}</a>,
        code: ({ className, children }) => <Code className={className}>{children}</Code>,
      }}
    >
      {text}
    </ReactMarkdown>
  );
}
