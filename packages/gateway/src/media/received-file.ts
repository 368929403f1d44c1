/**
 * How the model is told a file arrived, whichever chat it came from (a Telegram document, a file
 * in the dashboard chat): one line per file, `[file received: media/inbox/<date>-<name> (12 KB,
 * text/csv)]`, before what the user wrote. The path is what read_file and send_file take, so
 * the model can open the file when it needs to; the bytes never go into the prompt.
 *
 * The dashboard shows a stored message's files as chips, not as these lines: `splitReceivedFiles`
 * takes them back out of the text, for the paths the session recorded (never for look-alike
 * lines a user typed).
 */

/** A size as the chat replies say it: KB under 1 MiB (rounded up), else MB with one decimal. */
export const megabytes = (n: number) => (n < 1048576 ? `${Math.ceil(n / 1024)} KB` : `${Math.round((n / 1048576) * 10) / 10} MB`);

/** A declared MIME type worth repeating to the model (`text/csv`), or undefined. */
const shownType = (mime: string | undefined) => (mime && /^[\w.+-]+\/[\w.+-]+$/.test(mime) ? mime : undefined);

/** The line for one stored file. */
export function receivedFileLine(path: string, bytes: number, mime?: string): string {
  const type = shownType(mime);
  return `[file received: ${path} (${megabytes(bytes)}${type ? `, ${type}` : ''})]`;
}

/** The text of a turn that brought files: their lines, then what the user wrote (if anything). */
export function withReceivedFiles(lines: string[], text: string): string {
  const head = lines.join('\n');
  return text ? (head ? `${head}\n\n${text}` : text) : head;
}

/** A stored file as the dashboard shows it: its inbox path, the name it was sent with (less the date), its size as said. */
export interface ReceivedFile {
  path: string;
  name: string;
  size?: string;
}

/** An inbox path as MediaInbox.save makes them (one safe name, no folder below the inbox). */
export const isInboxPath = (path: string) => /^media\/inbox\/[^/\\]+$/.test(path) && !path.slice(12).startsWith('.');

/**
 * The user's own text of a stored message and its files: the `[file received: …]` lines of
 * `paths` are taken out of `content` (with the blank line after them), their sizes kept.
 */
export function splitReceivedFiles(content: string, paths: readonly string[]): { text: string; files: ReceivedFile[] } {
  const lines = content.split('\n');
  const files = paths.filter(isInboxPath).map((path): ReceivedFile => {
    const base = path.slice(path.lastIndexOf('/') + 1);
    const prefix = `[file received: ${path} (`;
    const at = lines.findIndex((l) => l.startsWith(prefix) && l.endsWith(')]'));
    const file: ReceivedFile = { path, name: base.replace(/^\d{4}-\d\d-\d\d-/, '') || base };
    if (at < 0) return file;
    const size = lines[at]!.slice(prefix.length, -2).split(', ')[0];
    lines.splice(at, 1);
    return size ? { ...file, size } : file;
  });
  let text = lines.join('\n');
  if (files.length) text = text.replace(/^\n+/, '');
  return { text, files };
}
