/**
 * The chat: one pico WebSocket through the launcher, answers streamed into place, tool calls as
 * collapsible cards with their arguments and results (and the images a tool returned, such as a
 * camera snapshot, under the card), automatic reconnection. Images go with a message as data URLs
 * in `payload.media`, other files as `payload.attachments` of type `file` (ChatImages.tsx), a
 * voice message as one of type `audio`, sent when the recording stops (ChatVoice.tsx).
 */
import { Fragment, useEffect, useRef, useState, type ClipboardEvent, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import { AttachmentChips, clock, filesOf, fileSize, MessageFiles, MessageImages, resendable, storedImageUrl, useAttachments, type Attachment, type FileChip } from './ChatImages.js';
import { canRecord, RecordButton, useRecorder } from './ChatVoice.js';
import { ConversationSearch } from './ChatSearch.js';
import { MessagesSquare, Mic, Paperclip, Pencil, Plus, SendHorizontal, Square, Trash2, Wrench, X } from 'lucide-react';
import { Markdown } from './Markdown.js';
import { MessageActions } from './ChatActions.js';
import { t } from './i18n.js';

interface ToolCall {
  id: string;
  function: { name: string; arguments: string };
  result?: { content: string; is_error: boolean };
}

interface Message {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  kind?: string;
  model?: string;
  /** The model was a fallback: the primary failed or was cooling down. */
  fallback?: boolean;
  toolCalls?: ToolCall[];
  stopped?: boolean;
  /** Image sources: data URLs just sent, or /api/media/images/… (the history, a tool's images). */
  images?: string[];
  /** Files the user sent (they stay in the workspace inbox). */
  files?: FileChip[];
  /** A voice message just sent: its length (after a reload the transcript is the text). */
  voice?: number;
}

/** The stored image paths of a frame or a history entry (`media/images/…`) as URLs. */
const imagesOf = (media: unknown) => (Array.isArray(media) ? media.filter((p): p is string => typeof p === 'string').map(storedImageUrl) : []);

type Connection = 'connecting' | 'open' | 'closed';

interface SessionInfo { id: string; title?: string; updatedAt: string; messages: number }

function sessionId(): string {
  let id = localStorage.getItem('picoclaw.session');
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem('picoclaw.session', id);
  }
  return id;
}

const historyOf = async (id: string): Promise<Message[]> => {
  const response = await fetch(`/api/sessions/${encodeURIComponent(id)}`);
  if (!response.ok) return [];
  const data = (await response.json()) as { messages: { role: 'user' | 'assistant'; content: string; media?: string[]; files?: FileChip[]; model_name?: string; fallback?: boolean }[] };
  return data.messages.map((m) => {
    const images = imagesOf(m.media);
    const files = Array.isArray(m.files) ? m.files.map((f) => ({ name: String(f.name), ...(f.size ? { size: String(f.size) } : {}) })) : [];
    const model = m.role === 'assistant' && typeof m.model_name === 'string' ? { model: m.model_name, ...(m.fallback === true ? { fallback: true } : {}) } : {};
    return { id: crypto.randomUUID(), role: m.role, content: m.content, ...(images.length ? { images } : {}), ...(files.length ? { files } : {}), ...model };
  });
};

export function Chat() {
  const [messages, setMessages] = useState<Message[]>([]);
  const [draft, setDraft] = useState('');
  const [typing, setTyping] = useState(false);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [session, setSession] = useState(sessionId);
  const socket = useRef<WebSocket | undefined>(undefined);
  /** Messages typed while the connection was down: sent as soon as it is back. */
  const outbox = useRef<string[]>([]);
  /** Messages with images by frame id: an `invalid_media` answer puts them back in the composer. */
  const sent = useRef(new Map<string, { text: string; attachments: Attachment[]; bubble: string }>());
  const [toast, setToast] = useState<string | undefined>();
  const toastTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const showToast = (message: string) => {
    setToast(message);
    clearTimeout(toastTimer.current);
    toastTimer.current = setTimeout(() => setToast(undefined), 8000);
  };
  const { attachments, setAttachments, add: attach, remove: detach } = useAttachments(showToast);
  const fileInput = useRef<HTMLInputElement>(null);
  /** A recording just stopped: sent with what is in the composer (one recording per message). */
  const [recorded, setRecorded] = useState(false);
  const recorder = useRecorder((recording) => {
    setAttachments((current) => [...current.filter((a) => a.kind !== 'audio'), recording]);
    setRecorded(true);
  }, showToast);
  const [microphone] = useState(canRecord);
  const [dragging, setDragging] = useState(false);
  const end = useRef<HTMLDivElement>(null);
  const [sessions, setSessions] = useState<SessionInfo[]>([]);
  const [showSessions, setShowSessions] = useState(false);
  const loadSessions = () => {
    void fetch('/api/sessions').then(async (r) => r.ok && setSessions(((await r.json()) as { sessions: SessionInfo[] }).sessions), () => {});
  };
  useEffect(() => {
    let current = true;
    void historyOf(session).then((history) => current && setMessages(history));
    loadSessions();
    return () => {
      current = false;
    };
  }, [session]);
  useEffect(() => {
    if (!typing) loadSessions();
  }, [typing]);
  const switchTo = (id: string) => {
    localStorage.setItem('picoclaw.session', id);
    setSession(id);
    setShowSessions(false);
  };
  const rename = (item: SessionInfo) => {
    const title = prompt(t('chat.renamePrompt'), item.title ?? '');
    if (title?.trim()) void fetch(`/api/sessions/${encodeURIComponent(item.id)}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title }) }).then(loadSessions);
  };
  const remove = (item: SessionInfo) => {
    if (!confirm(t('chat.deleteConfirm', { title: item.title ?? t('chat.untitled') }))) return;
    void fetch(`/api/sessions/${encodeURIComponent(item.id)}`, { method: 'DELETE' }).then(() => {
      if (item.id === session) newConversation();
      loadSessions();
    });
  };

  useEffect(() => {
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      setConnection('connecting');
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/pico/ws?session_id=${encodeURIComponent(session)}`);
      socket.current = ws;
      ws.onopen = () => {
        attempt = 0;
        setConnection('open');
        for (const frame of outbox.current.splice(0)) ws.send(frame);
      };
      ws.onclose = () => {
        setConnection('closed');
        if (closed) return;
        timer = setTimeout(connect, Math.min(15_000, 500 * 2 ** attempt++));
      };
      ws.onmessage = (event: MessageEvent<string>) => {
        const frame = JSON.parse(event.data) as { type: string; payload?: Record<string, unknown> };
        const p = frame.payload ?? {};
        if (frame.type === 'typing.start') setTyping(true);
        else if (frame.type === 'typing.stop') setTyping(false);
        else if (frame.type === 'message.create' || frame.type === 'message.update') {
          const id = String(p.message_id);
          setMessages((current) => {
            const next: Message = {
              id,
              role: 'assistant',
              content: String(p.content ?? ''),
              ...(typeof p.kind === 'string' ? { kind: p.kind } : {}),
              ...(typeof p.model_name === 'string' ? { model: p.model_name, ...(p.fallback === true ? { fallback: true } : {}) } : {}),
              ...(Array.isArray(p.tool_calls) ? { toolCalls: p.tool_calls as ToolCall[] } : {}),
              ...(p.stopped ? { stopped: true } : {}),
              // A tool card whose tool returned images (their stored paths).
              ...(imagesOf(p.media).length ? { images: imagesOf(p.media) } : {}),
            };
            const index = current.findIndex((m) => m.id === id);
            if (index < 0) return [...current, next];
            const copy = [...current];
            copy[index] = { ...copy[index]!, ...next };
            return copy;
          });
        } else if (frame.type === 'error' && sent.current.has(String(p.request_id))) {
          // The message is kept: its text and images go back to the composer, with the reason.
          const kept = sent.current.get(String(p.request_id))!;
          sent.current.delete(String(p.request_id));
          setMessages((current) => current.filter((m) => m.id !== kept.bubble));
          setDraft((current) => current || kept.text);
          setAttachments((current) => (current.length ? current : kept.attachments));
          setTyping(false);
          showToast(t('chat.imageRefused', { message: String(p.message ?? p.code ?? '').replace(/\.$/, '') }));
        } else if (frame.type === 'error') {
          setMessages((current) => [...current, { id: crypto.randomUUID(), role: 'assistant', kind: 'error', content: String(p.message ?? 'error') }]);
        }
      };
    };
    connect();
    return () => {
      closed = true;
      clearTimeout(timer);
      socket.current?.close();
    };
  }, [session]);

  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [messages, typing]);

  const send = (text: string, attached: Attachment[] = []) => {
    if (!text.trim() && !attached.length) return;
    const id = crypto.randomUUID();
    const media = attached.filter((a) => a.kind === 'image').map((a) => a.dataUrl);
    const files = attached.filter((a) => a.kind === 'file');
    const voice = attached.find((a) => a.kind === 'audio');
    const attachments = [
      ...files.map((a) => ({ type: 'file', url: a.dataUrl, filename: a.name })),
      ...(voice ? [{ type: 'audio', url: voice.dataUrl, duration: Math.round((voice.seconds ?? 0) * 10) / 10 }] : []),
    ];
    const frame = JSON.stringify({ type: 'message.send', id, payload: { content: text, ...(media.length ? { media } : {}), ...(attachments.length ? { attachments } : {}) } });
    if (socket.current?.readyState === WebSocket.OPEN) socket.current.send(frame);
    else outbox.current.push(frame);
    const bubble = crypto.randomUUID();
    if (attached.length) {
      sent.current.set(id, { text, attachments: attached, bubble });
      // Only the last few can still be refused; older ones are forgotten.
      for (const key of sent.current.keys()) if (sent.current.size > 10) sent.current.delete(key);
    }
    const chips = files.map((a) => ({ name: a.name, size: fileSize(a.size) }));
    if (!text.startsWith('/') || attached.length) setMessages((current) => [...current, { id: bubble, role: 'user', content: text, ...(media.length ? { images: media } : {}), ...(chips.length ? { files: chips } : {}), ...(voice ? { voice: voice.seconds ?? 0 } : {}) }]);
  };
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    send(draft, attachments);
    setDraft('');
    setAttachments([]);
  };
  useEffect(() => {
    if (!recorded) return;
    setRecorded(false);
    submit();
    // Runs once the recording is among the attachments (the render after it was added).
  }, [recorded]);
  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    const files = filesOf(event.clipboardData);
    if (!files.length) return;
    event.preventDefault();
    void attach(files);
  };
  const onDrop = (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDragging(false);
    void attach(filesOf(event.dataTransfer));
  };
  const onDragOver = (event: DragEvent<HTMLElement>) => {
    if (![...event.dataTransfer.types].includes('Files')) return;
    event.preventDefault();
    setDragging(true);
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  };
  /**
   * The last answer (or error) and the user message it answers: Retry sends its text and images
   * again (files and recordings are not resent: the model already has their text or inbox path).
   */
  const lastAnswer = messages.findLast((m) => m.role === 'assistant' && (!m.kind || m.kind === 'error'));
  const lastAsked = messages.findLast((m) => m.role === 'user' && (m.content.trim() || m.images?.length));
  const retry = () => {
    if (!lastAsked) return;
    if (!lastAsked.images?.length) return send(lastAsked.content);
    // An image from the history is fetched back as a data URL (the store keeps one copy by content).
    void Promise.all(lastAsked.images.map(resendable)).then(
      (images) => send(lastAsked.content, images),
      () => showToast(t('chat.retryImagesGone')),
    );
  };
  function newConversation() {
    localStorage.removeItem('picoclaw.session');
    setMessages([]);
    setSession(sessionId());
  }

  return (
    <div className="chat-layout">
    <aside className={`sessions ${showSessions ? 'open' : ''}`} aria-label={t('chat.conversations')}>
      <button type="button" onClick={newConversation}><Plus size={16} />{t('chat.new')}</button>
      <ConversationSearch current={session} onOpen={switchTo}>
      <ul>
        {sessions.map((item) => (
          <li key={item.id} className={item.id === session ? 'current' : ''}>
            <button type="button" className="link" aria-current={item.id === session ? 'true' : undefined} onClick={() => switchTo(item.id)}>{item.title ?? t('chat.untitled')}</button>
            <button type="button" className="icon" aria-label={t('chat.rename', { title: item.title ?? t('chat.untitled') })} onClick={() => rename(item)}><Pencil size={15} /></button>
            <button type="button" className="icon" aria-label={t('chat.delete', { title: item.title ?? t('chat.untitled') })} onClick={() => remove(item)}><Trash2 size={15} /></button>
          </li>
        ))}
      </ul>
      </ConversationSearch>
    </aside>
    <div className={`chat ${dragging ? 'dragging' : ''}`} onDragOver={onDragOver} onDragLeave={() => setDragging(false)} onDrop={onDrop}>
      <div className="toolbar">
        <button type="button" className="secondary sessions-toggle" onClick={() => setShowSessions(!showSessions)} aria-expanded={showSessions}><MessagesSquare size={16} />{t('chat.conversations')}</button>
        <span className={`connection ${connection}`}>{connection === 'open' ? t('chat.connected') : connection === 'connecting' ? t('chat.connecting') : t('chat.disconnected')}</span>
        <span className="spacer" />
      </div>
      <div className="messages" aria-live="polite" aria-label="Conversation">
        {messages.length === 0 && <p className="hint">{t('chat.hint')}</p>}
        {messages.map((m) =>
          m.kind === 'tool_calls' ? (
            <Fragment key={m.id}>
            <details className="tool">
              <summary>
                <Wrench size={14} className="tool-icon" /> {m.toolCalls?.map((c) => c.function.name).join(', ')}
                {m.toolCalls?.some((c) => c.result) && ` → ${m.toolCalls.map((c) => c.result?.content ?? '…').join('; ').slice(0, 80)}`}
              </summary>
              {m.toolCalls?.map((c) => (
                <div key={c.id}>
                  <div className="label">{t('chat.arguments')}</div>
                  <pre>{c.function.arguments}</pre>
                  {c.result && (
                    <>
                      <div className="label">{c.result.is_error ? t('chat.error') : t('chat.result')}</div>
                      <pre>{c.result.content}</pre>
                    </>
                  )}
                </div>
              ))}
            </details>
            {m.images && <div className="tool-images"><MessageImages images={m.images} /></div>}
            </Fragment>
          ) : (
            <div key={m.id} className={`message ${m.role} ${m.kind ?? ''}`} data-role={m.role}>
              {m.images && <MessageImages images={m.images} />}
              {m.files && <MessageFiles files={m.files} />}
              {m.voice !== undefined && <div className="voice-chip file-chip"><Mic size={14} className="chip-icon" />{clock(m.voice)}</div>}
              <div className="content">
                {m.role === 'assistant' && !m.kind ? <Markdown text={m.content} /> : m.content}
                {m.stopped && <em> {t('chat.stopped')}</em>}
              </div>
              {m.role === 'assistant' && (!m.kind || m.kind === 'error') ? (
                <MessageActions
                  {...(!m.kind && m.content.trim() ? { text: m.content } : {})}
                  {...(m.model ? { model: m.model, fallback: !!m.fallback } : {})}
                  {...(m === lastAnswer && lastAsked && !typing ? { onRetry: retry } : {})}
                />
              ) : m.model && <div className="meta">{m.model}</div>}
            </div>
          ),
        )}
        {typing && <div className="typing" aria-label={t('chat.typing')}>…</div>}
        <div ref={end} />
      </div>
      {toast && (
        <div className="toast" role="alert">
          <span>{toast}</span>
          <button type="button" className="icon" aria-label={t('chat.dismiss')} onClick={() => setToast(undefined)}><X size={16} /></button>
        </div>
      )}
      <AttachmentChips attachments={attachments} remove={detach} />
      <form className="composer" onSubmit={submit}>
        <label className="visually-hidden" htmlFor="composer">{t('chat.message')}</label>
        <input ref={fileInput} type="file" multiple hidden onChange={(e) => {
          void attach([...(e.target.files ?? [])]);
          e.target.value = '';
        }} />
        <button type="button" className="secondary attach" aria-label={t('chat.attach')} title={t('chat.attach')} onClick={() => fileInput.current?.click()}><Paperclip size={18} /></button>
        {microphone && <RecordButton recorder={recorder} />}
        <textarea id="composer" value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={onKey} onPaste={onPaste} rows={2} placeholder={t('chat.placeholder')} />
        {typing ? (
          <button type="button" onClick={() => send('/stop')}><Square size={16} /><span className="label">{t('chat.stop')}</span></button>
        ) : (
          <button type="submit" disabled={!draft.trim() && !attachments.length}><SendHorizontal size={16} /><span className="label">{t('chat.send')}</span></button>
        )}
      </form>
    </div>
    </div>
  );
}
