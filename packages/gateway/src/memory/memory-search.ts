/**
 * Full-text search over the memory files with ranking (BM25, by MiniSearch): each section of
 * MEMORY.md and of every daily note is one document, its heading weighing double. MiniSearch is
 * loaded at the first search (most turns never search), and the index is kept between searches
 * and brought up to date file by file when a file's size or modification time changed.
 */
import type MiniSearch from 'minisearch';
import { dayOfName, sectionsOf } from './memory-layout.js';
import type { MemoryStore } from './memory-store.js';

export interface MemoryHit {
  /** `MEMORY.md` or `YYYYMM/YYYYMMDD.md`. */
  name: string;
  day?: string;
  /** The section's heading ('' for the text before the first one). */
  section: string;
  score: number;
  /** A short piece of the section around the first word found. */
  snippet: string;
}

export interface MemorySearch {
  search(query: string, limit?: number): Promise<MemoryHit[]>;
}

interface Doc {
  id: string;
  name: string;
  title: string;
  text: string;
}

const SNIPPET_CHARS = 240;

/** Lower case without accents: "cafe" finds "Café", "manana" finds "mañana". */
const fold = (term: string) => term.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();

function snippetOf(text: string, terms: string[]): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const folded = fold(flat);
  const at = Math.min(...terms.map((t) => folded.indexOf(t)).filter((i) => i >= 0), flat.length);
  const start = at >= flat.length || at < 60 ? 0 : at - 60;
  const piece = flat.slice(start, start + SNIPPET_CHARS);
  return `${start > 0 ? '…' : ''}${piece}${start + SNIPPET_CHARS < flat.length ? '…' : ''}`;
}

export function createMemorySearch(store: MemoryStore): MemorySearch {
  let index: MiniSearch<Doc> | undefined;
  /** Per file: the size and time it was indexed at, and its documents. */
  const indexed = new Map<string, { stamp: string; docs: Doc[] }>();
  let refreshing: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    if (!index) {
      const { default: MiniSearchClass } = await import('minisearch');
      index = new MiniSearchClass<Doc>({
        fields: ['title', 'text'],
        storeFields: ['name', 'title'],
        processTerm: (term) => {
          const folded = fold(term);
          return folded.length > 1 ? folded : null;
        },
        searchOptions: { boost: { title: 2 }, prefix: (term) => term.length > 3, fuzzy: (term) => (term.length > 4 ? 0.2 : false) },
      });
    }
    const search = index;
    const files = await store.list();
    const seen = new Set<string>();
    for (const file of files) {
      seen.add(file.name);
      const stamp = `${file.bytes}:${file.modifiedMs}`;
      const known = indexed.get(file.name);
      if (known?.stamp === stamp) continue;
      if (known) for (const doc of known.docs) search.discard(doc.id);
      const text = (await store.read(file.name).catch(() => undefined)) ?? '';
      const docs = sectionsOf(text)
        .map((s, i): Doc => ({ id: `${file.name}#${i}`, name: file.name, title: s.title || (file.day ?? ''), text: text.slice(s.bodyStart, s.end).trim() }))
        .filter((d) => d.text || d.title);
      search.addAll(docs);
      indexed.set(file.name, { stamp, docs });
    }
    for (const [name, known] of indexed) {
      if (seen.has(name)) continue;
      for (const doc of known.docs) search.discard(doc.id);
      indexed.delete(name);
    }
  }

  return {
    async search(query, limit = 8) {
      const q = query.trim();
      if (!q) return [];
      // Searches at the same time share one refresh.
      refreshing ??= refresh().finally(() => (refreshing = undefined));
      await refreshing;
      const texts = new Map<string, Doc>();
      for (const { docs } of indexed.values()) for (const d of docs) texts.set(d.id, d);
      const terms = q.split(/[\s\p{P}]+/u).map(fold).filter((t) => t.length > 1);
      return index!
        .search(q)
        .slice(0, limit)
        .map((r) => {
          const doc = texts.get(String(r.id))!;
          const day = dayOfName(doc.name);
          return { name: doc.name, ...(day ? { day } : {}), section: doc.title === day ? '' : doc.title, score: Math.round(r.score * 100) / 100, snippet: snippetOf(`${doc.text}`, terms) };
        });
    },
  };
}
