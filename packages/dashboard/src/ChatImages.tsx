/**
 * Images and files in the chat: picking them (button, paste, drag and drop) into chips checked
 * before anything is sent, and showing them in the bubbles, live (the data URLs just sent) and
 * after a reload (the stored images, through the launcher's /api/media/images/<name>; files as
 * name and size). A JPEG, PNG, GIF or WebP picture goes to the model as an image; anything else
 * is a file, stored in the workspace inbox and named to the model by its path.
 * The gateway checks everything again (image type from its bytes, agents.defaults.max_media_size):
 * these checks only spare the user a useless upload.
 */
import { useState, type MouseEvent } from 'react';
import { FileText, Mic, X } from 'lucide-react';
import { t } from './i18n.js';

/** What vision models accept, and what the gateway stores. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
/** The gateway's default agents.defaults.max_media_size: the images and files of one message together. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export interface Attachment {
  id: string;
  /** An image the model sees, a file it is told the path of, or a recording transcribed for it (ChatVoice.tsx). */
  kind: 'image' | 'file' | 'audio';
  name: string;
  size: number;
  dataUrl: string;
  /** A recording's length as measured while recording. */
  seconds?: number;
}

/** A recording's length as a clock: 0:07, 1:30. */
export const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

/** A file shown in a bubble: its name and its size as the gateway says it. */
export interface FileChip {
  name: string;
  size?: string;
}

const megabytes = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
/** The size as the gateway writes it in the model's `[file received: …]` line (media/received-file.ts). */
export const fileSize = (n: number) => (n < 1048576 ? `${Math.ceil(n / 1024)} KB` : `${Math.round((n / 1048576) * 10) / 10} MB`);

export function readDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsDataURL(file);
  });
}

/** The chips of the next message; `add` refuses (through `refuse`) what the gateway would refuse anyway. */
/**
 * An image shown in a bubble as an attachment to send again (Retry): a data URL as it is, a stored
 * image (/api/media/images/…) fetched back. Rejects when the image is no longer there.
 */
export async function resendable(src: string): Promise<Attachment> {
  const name = src.startsWith('data:') ? 'image' : decodeURIComponent(src.slice(src.lastIndexOf('/') + 1));
  if (src.startsWith('data:')) return { id: crypto.randomUUID(), kind: 'image', name, size: Math.floor(((src.length - src.indexOf(',') - 1) * 3) / 4), dataUrl: src };
  const response = await fetch(src, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const blob = await response.blob();
  return { id: crypto.randomUUID(), kind: 'image', name, size: blob.size, dataUrl: await readDataUrl(blob) };
}

export function useAttachments(refuse: (message: string) => void) {
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const add = async (files: Iterable<File>) => {
    let total = attachments.reduce((sum, a) => sum + a.size, 0);
    const added: Attachment[] = [];
    for (const file of files) {
      const kind = IMAGE_TYPES.includes(file.type) ? 'image' : 'file';
      const name = file.name || t(kind === 'image' ? 'chat.image' : 'chat.file');
      if (!file.size) {
        refuse(t('chat.fileEmpty', { name }));
        continue;
      }
      if (total + file.size > MAX_IMAGE_BYTES) {
        refuse(file.size > MAX_IMAGE_BYTES ? t('chat.imageTooLarge', { name, size: megabytes(file.size) }) : t('chat.imagesTooLarge', { name }));
        continue;
      }
      try {
        added.push({ id: crypto.randomUUID(), kind, name, size: file.size, dataUrl: await readDataUrl(file) });
        total += file.size;
      } catch {
        refuse(t('chat.imageUnreadable', { name }));
      }
    }
    if (added.length) setAttachments((current) => [...current, ...added]);
  };
  const remove = (id: string) => setAttachments((current) => current.filter((a) => a.id !== id));
  return { attachments, setAttachments, add, remove };
}

/** The files of a paste or a drop, when there are any (text pasted stays text). */
export function filesOf(data: DataTransfer | null): File[] {
  return data ? [...data.files] : [];
}

export function AttachmentChips(props: { attachments: Attachment[]; remove(id: string): void }) {
  if (!props.attachments.length) return null;
  return (
    <ul className="attachments" aria-label={t('chat.attachments')}>
      {props.attachments.map((a) => (
        <li key={a.id} className={a.kind}>
          {a.kind === 'image' ? (
            <img src={a.dataUrl} alt={a.name} />
          ) : (
            <span className="file-chip" title={a.name}>{a.kind === 'audio' ? <><Mic size={14} className="chip-icon" />{clock(a.seconds ?? 0)}</> : <><FileText size={14} className="chip-icon" />{a.name}</>} <small>{fileSize(a.size)}</small></span>
          )}
          <button type="button" className="icon" aria-label={t('chat.removeImage', { name: a.name })} onClick={() => props.remove(a.id)}><X size={12} /></button>
        </li>
      ))}
    </ul>
  );
}

/** `media/images/<name>` (a session's path) → the launcher URL that serves it. */
export const storedImageUrl = (path: string) => `/api/media/images/${encodeURIComponent(path.slice(path.lastIndexOf('/') + 1))}`;

/**
 * A browser will not open a data: URL as a page, so an image just sent opens from a blob: URL
 * made on the click; a stored image opens at its own address.
 */
function openFullSize(event: MouseEvent<HTMLAnchorElement>, src: string) {
  if (!src.startsWith('data:')) return;
  event.preventDefault();
  // Decoded here: fetch(data:) would be refused by the dashboard's CSP (connect-src 'self').
  const [head = '', data = ''] = src.split(',', 2);
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: head.slice(5).split(';')[0] }));
  window.open(url, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function MessageImages(props: { images: string[] }) {
  return (
    <div className="images">
      {props.images.map((src, i) => (
        <a key={`${i}-${src.slice(-40)}`} href={src} target="_blank" rel="noopener noreferrer" aria-label={t('chat.openImage', { n: i + 1 })} onClick={(e) => openFullSize(e, src)}>
          <img src={src} alt={t('chat.imageN', { n: i + 1 })} loading="lazy" />
        </a>
      ))}
    </div>
  );
}

/** The files a message carried, as chips (the files stay on the server: nothing to open). */
export function MessageFiles(props: { files: FileChip[] }) {
  return (
    <ul className="files" aria-label={t('chat.files')}>
      {props.files.map((f, i) => (
        <li key={`${i}-${f.name}`} className="file-chip" title={f.name}>
          <FileText size={14} className="chip-icon" />{f.name}
          {f.size && <small> {f.size}</small>}
        </li>
      ))}
    </ul>
  );
}
