/**
 * Under an assistant answer: the model that gave it (marked when it was a fallback), Copy (the answer's Markdown text) and, on the
 * last answer or an error, Retry (the chat sends the last user message again).
 */
import { useEffect, useRef, useState } from 'react';
import { Copy, RotateCcw } from 'lucide-react';
import { t } from './i18n.js';

/**
 * The Clipboard API exists only in a secure context (https or localhost); a dashboard opened as
 * http://homelab:18800 falls back to a hidden text area and the older copy command.
 */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (no permission, page not focused): try the fallback.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  try {
    return document.execCommand?.('copy') ?? false;
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

export function MessageActions({ text, model, fallback, onRetry }: { text?: string; model?: string; fallback?: boolean; onRetry?: () => void }) {
  const [status, setStatus] = useState<string | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = () => {
    void copyText(text ?? '').then((done) => {
      setStatus(done ? t('chat.copied') : t('chat.copyFailed'));
      clearTimeout(timer.current);
      timer.current = setTimeout(() => setStatus(undefined), 2000);
    });
  };
  if (!text && !model && !onRetry) return null;
  return (
    <div className="meta actions">
      {model && <span className="model">{model}</span>}
      {model && fallback && <span className="badge" title={t('chat.fallbackHelp')}>{t('chat.fallback')}</span>}
      {text && <button type="button" className="icon" aria-label={t('chat.copy')} title={t('chat.copy')} onClick={copy}><Copy size={14} /></button>}
      {onRetry && <button type="button" className="icon" aria-label={t('chat.retry')} title={t('chat.retry')} onClick={onRetry}><RotateCcw size={14} /></button>}
      <span role="status">{status}</span>
    </div>
  );
}
