/**
 * Memory as the gateway holds it: the `memory` tool and the `/memory` API over the workspace's
 * memory files. Nothing is read at start-up; a workspace's store and search index are made at
 * its first use and kept (the index is brought up to date by file times, memory-search.ts).
 */
import type { Tool } from '../tools/types.js';
import type { FeatureApi } from '../http/feature-api.js';
import { memoryApi } from './memory-api.js';
import { createMemorySearch, type MemorySearch } from './memory-search.js';
import { createMemoryStore, type MemoryStore } from './memory-store.js';
import { createMemoryTool } from './memory-tool.js';

export interface Memory {
  tools(): Tool[];
  /** `/memory…` of the gateway's HTTP API. */
  http: FeatureApi;
}

export function createMemory(options: { workspace: () => string; now?: () => Date }): Memory {
  const open = new Map<string, { store: MemoryStore; search: MemorySearch }>();
  const parts = (workspace: string) => {
    let found = open.get(workspace);
    if (!found) {
      const store = createMemoryStore({ workspace, ...(options.now ? { now: options.now } : {}) });
      found = { store, search: createMemorySearch(store) };
      if (open.size >= 16) open.clear(); // a few agents' workspaces at most
      open.set(workspace, found);
    }
    return found;
  };
  const tool = createMemoryTool(parts);
  return {
    tools: () => [tool],
    // A memory file is at most 128 KB; its JSON may be larger (escapes).
    http: { bodies: ['PUT'], maxBody: 1024 * 1024, handle: (method, path, query, body) => memoryApi(parts(options.workspace()), method, path, query, body) },
  };
}
