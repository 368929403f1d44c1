/**
 * The model's one memory tool: search, read (MEMORY.md, a section of it, or a day's note), append
 * (to a section, or to today's note) and edit (the body of ONE section). It has no way to write a
 * whole file, and every change keeps the previous version (memory-store.ts). Its definition is
 * kept short: it travels with every model request (the prompt budget is 4 KB with the defaults).
 */
import * as z from 'zod';
import { defineTool } from '../tools/define-tool.js';
import type { Tool } from '../tools/types.js';
import { dailyName, findSection, LONG_TERM, sectionsOf } from './memory-layout.js';
import type { MemorySearch } from './memory-search.js';
import { MemoryError, type MemoryStore } from './memory-store.js';

/** What one read returns at most (a file may hold 128 KB): the model reads a section instead. */
const MAX_READ_CHARS = 12_000;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function createMemoryTool(open: (workspace: string) => { store: MemoryStore; search: MemorySearch }): Tool {
  return defineTool({
    name: 'memory',
    description: 'Notes kept across chats: MEMORY.md ## sections, daily notes. search text; read/append/edit where: a section or YYYY-MM-DD (append: today by default; edit replaces it).',
    input: {
      action: z.enum(['search', 'read', 'append', 'edit']),
      text: z.string().optional(),
      where: z.string().optional(),
    },
    async execute({ action, text = '', where = '' }, context) {
      const { store, search } = open(context.workspace);
      let place = where.trim().replace(/^#+\s*/, '');
      const wholeFile = /^(memory\/)?MEMORY\.md$/i.test(place);
      if (wholeFile) place = '';
      // A path is no section: said plainly, rather than a heading named "../config.json".
      else if (/^[/~]|\.\.|\\|\.(md|json|ya?ml|txt|env|pem|key)$/i.test(place)) return { content: `where is a section of MEMORY.md (e.g. Preferences) or a day (YYYY-MM-DD), not a path: the memory tool reaches only the memory files`, isError: true };
      const day = place.toLowerCase() === 'today' ? store.today() : DAY.test(place) ? place : undefined;
      try {
        switch (action) {
          case 'search': {
            if (!text.trim()) return { content: 'search needs text: the words to look for', isError: true };
            const hits = await search.search(text);
            if (!hits.length) return `nothing in memory matches "${text}"`;
            return hits.map((h) => `${h.day ?? h.name}${h.section ? ` › ${h.section}` : ''}: ${h.snippet}`).join('\n');
          }
          case 'read': {
            const name = day ? dailyName(day) : LONG_TERM;
            if (!name) return { content: `"${place}" is not a day: write it as YYYY-MM-DD`, isError: true };
            const body = await store.read(name);
            if (body === undefined || !body.trim()) return day ? `no note for ${day}` : 'MEMORY.md is empty';
            if (place && !day) {
              const section = findSection(body, place);
              if (!section) return { content: `MEMORY.md has no section "${place}"; its sections: ${sectionsOf(body).map((s) => s.title).filter(Boolean).join(', ') || '(none)'}`, isError: true };
              return body.slice(section.start, section.end).trim();
            }
            if (body.length <= MAX_READ_CHARS) return body;
            const titles = sectionsOf(body).map((s) => s.title).filter(Boolean);
            return `${body.slice(0, MAX_READ_CHARS)}\n[… ${body.length - MAX_READ_CHARS} more characters; read one section: ${titles.join(', ')}]`;
          }
          case 'append': {
            if (wholeFile) return { content: 'append to MEMORY.md needs where: the title of a section (made when missing), e.g. Preferences', isError: true };
            const change = await store.append(text, day ? { day } : place ? { section: place } : undefined);
            return `appended to ${change.name}${place && !day ? ` › ${place}` : ''} (${change.bytes} bytes${change.previous ? '; the previous version is kept' : ''})`;
          }
          case 'edit': {
            if (!place || day) return { content: 'edit needs where: the title of one MEMORY.md section (daily notes are only appended to)', isError: true };
            const change = await store.editSection(place, text);
            return `replaced the body of the section "${place}" of MEMORY.md (now ${change.bytes} bytes); the other sections are unchanged and the previous version is kept`;
          }
        }
      } catch (error) {
        if (error instanceof MemoryError) return { content: error.message, isError: true };
        return { content: `memory ${action} failed: ${(error as Error).message}`, isError: true };
      }
    },
  });
}
