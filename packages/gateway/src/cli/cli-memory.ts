/**
 * `picoclaw memory search|show|list`: the assistant's memory from the terminal. With a gateway
 * running for this home it answers through the gateway's `/memory` API (the same index the model
 * searches); without one the files under `<workspace>/memory/` are read directly, with the same
 * store and search code.
 */
import { createMemorySearch, type MemoryHit } from '../memory/memory-search.js';
import { createMemoryStore } from '../memory/memory-store.js';
import { dailyName, LONG_TERM } from '../memory/memory-layout.js';
import { findGateway, load, type CliIo } from './cli-commands.js';

interface FileEntry { name: string; day?: string; bytes: number; modified: string }

interface Source {
  where: string;
  list(): Promise<FileEntry[]>;
  read(name: string): Promise<{ exists: boolean; content: string }>;
  search(query: string, limit: number): Promise<MemoryHit[]>;
}

class Failed extends Error {}

async function gatewaySource(gateway: { url: string; token: string }): Promise<Source> {
  const call = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${gateway.url}/memory${path}`, { headers: { authorization: `Bearer ${gateway.token}` }, signal: AbortSignal.timeout(15_000) });
    const data = (await response.json().catch(() => ({}))) as { error?: string };
    if (response.ok) return data as T;
    if (response.status === 404 && data.error?.startsWith('no route')) throw new Failed('the running gateway has no /memory API (an older version?); update it and restart it');
    throw new Failed(data.error ?? `the gateway answered HTTP ${response.status}`);
  };
  return {
    where: gateway.url,
    list: async () => (await call<{ files: FileEntry[] }>('')).files,
    read: (name) => call<{ exists: boolean; content: string }>(`/file?name=${encodeURIComponent(name)}`),
    search: async (query, limit) => (await call<{ hits: MemoryHit[] }>(`/search?q=${encodeURIComponent(query)}&limit=${limit}`)).hits,
  };
}

async function fileSource(io: CliIo): Promise<Source> {
  const workspace = (await load(io)).config.agents.defaults.workspace;
  const store = createMemoryStore({ workspace });
  const search = createMemorySearch(store);
  return {
    where: store.dir,
    list: async () => (await store.list()).map((f) => ({ name: f.name, ...(f.day ? { day: f.day } : {}), bytes: f.bytes, modified: new Date(f.modifiedMs).toISOString() })),
    read: async (name) => {
      const content = await store.read(name);
      return { exists: content !== undefined, content: content ?? '' };
    },
    search: (query, limit) => search.search(query, limit),
  };
}

/** MEMORY.md, a day (YYYY-MM-DD, today, yesterday) or a daily note's name. */
function nameOf(file: string | undefined): string | undefined {
  if (!file || file.toLowerCase() === 'memory.md' || file.toLowerCase() === 'memory') return LONG_TERM;
  const today = new Date();
  const day = (offset: number) => {
    const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() + offset);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  if (file === 'today') return dailyName(day(0));
  if (file === 'yesterday') return dailyName(day(-1));
  return dailyName(file) ?? (/^\d{6}\/\d{8}\.md$/.test(file) ? file : undefined);
}

const USAGE = 'usage: picoclaw memory search <words…> [--limit N] [--json] | show [MEMORY.md|YYYY-MM-DD|today|yesterday] [--json] | list [--json]';

export async function memoryCommand(argv: string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const args: string[] = [];
  let limit = 10;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') continue;
    if (arg === '--limit') {
      limit = Number(argv[++i]);
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
        io.err('--limit takes a whole number from 1 to 50');
        return 2;
      }
    } else if (arg.startsWith('--')) {
      io.err(`unknown flag ${arg}\n${USAGE}`);
      return 2;
    } else args.push(arg);
  }
  const [sub, ...rest] = args;
  if (sub !== 'search' && sub !== 'show' && sub !== 'list') {
    io.err(USAGE);
    return 2;
  }
  if (sub === 'search' && !rest.join(' ').trim()) {
    io.err('picoclaw memory search needs the words to look for, e.g. picoclaw memory search boiler service');
    return 2;
  }
  const name = sub === 'show' ? nameOf(rest[0]) : undefined;
  if (sub === 'show' && !name) {
    io.err(`"${rest[0]}" is not a memory file: give MEMORY.md, a day as YYYY-MM-DD, today or yesterday`);
    return 2;
  }
  try {
    const gateway = await findGateway(io);
    const source = gateway ? await gatewaySource(gateway) : await fileSource(io);
    if (sub === 'list') {
      const files = await source.list();
      if (json) io.out(JSON.stringify({ source: gateway ? 'gateway' : 'files', files }, null, 2));
      else if (!files.length) io.out(`no memory yet (${source.where})`);
      else for (const f of files) io.out(`${f.day ?? f.name}  ${io.style.dim(`${f.bytes} bytes, ${f.modified.slice(0, 16).replace('T', ' ')}`)}`);
      return 0;
    }
    if (sub === 'search') {
      const query = rest.join(' ');
      const hits = await source.search(query, limit);
      if (json) io.out(JSON.stringify({ query, hits }, null, 2));
      else if (!hits.length) io.out(`nothing in memory matches "${query}"`);
      else for (const h of hits) io.out(`${io.style.ok(h.day ?? h.name)}${h.section ? ` › ${h.section}` : ''}  ${io.style.dim(String(h.score))}\n  ${h.snippet}`);
      return 0;
    }
    const file = await source.read(name!);
    if (json) io.out(JSON.stringify({ name, ...file }, null, 2));
    else if (!file.exists) {
      io.err(`no ${name} yet`);
      return 1;
    } else io.out(file.content.replace(/\n$/, ''));
    return 0;
  } catch (error) {
    io.err((error as Error).message);
    return 1;
  }
}
