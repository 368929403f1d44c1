/**
 * Images in the chat: picking them (button, paste, drag and drop) into preview chips checked
 * before anything is sent, and showing them in the user's bubbles, live (the data URLs just sent)
 * and after a reload (the stored images, through the launcher's /api/media/images/<name>).
 * The gateway checks every image again (type from its bytes, agents.defaults.max_media_size):
 * these checks only spare the user a useless upload.
 */
import { useState, type MouseEvent } from 'react';
import { t } from './i18n.js';

/** What vision models accept, and what the gateway stores. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
/** The gateway's default agents.defaults.max_media_size: the images of one message together. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export interface Attachment {
  id: string;
  name: string;
  size: number;
  dataUrl: string;
}

const megabytes = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);

function readDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsDataURL(file);
  });
}

/** The chips of the next message; `add` refuses (through `refuse`) what the gateway would refuse anyway. */
export function useAttachments(refuse: (message: string) => void) {
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const add = async (files: Iterable<File>) => {
    let total = attachments.reduce((sum, a) => sum + a.size, 0);
    const added: Attachment[] = [];
    for (const file of files) {
      const name = file.name || t('chat.image');
      if (!IMAGE_TYPES.includes(file.type)) {
        refuse(t('chat.imageType', { name }));
        continue;
      }
      if (total + file.size > MAX_IMAGE_BYTES) {
        refuse(file.size > MAX_IMAGE_BYTES ? t('chat.imageTooLarge', { name, size: megabytes(file.size) }) : t('chat.imagesTooLarge', { name }));
        continue;
      }
      try {
        added.push({ id: crypto.randomUUID(), name, size: file.size, dataUrl: await readDataUrl(file) });
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
        <li key={a.id}>
          <img src={a.dataUrl} alt={a.name} />
          <button type="button" className="icon" aria-label={t('chat.removeImage', { name: a.name })} onClick={() => props.remove(a.id)}>×</button>
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
