/**
 * Where conversations live. The gateway talks to sessions only through this interface, so the
 * JSONL files (the default) and a shared store for several gateways are interchangeable.
 */
import type { ChatMessage } from '../models/types.js';
import type { SessionSearchQuery, SessionSearchResult } from './session-search.js';

/**
 * A message as kept: never with image bytes; `media` lists the workspace paths of the images it
 * carried (`media/images/…`, see ImageStore), on user and tool messages; `files` the inbox paths
 * of the files a user message brought (`media/inbox/…`, see MediaInbox), named in its text too.
 */
export type StoredMessage = ChatMessage & { created_at?: string; model_name?: string; fallback?: boolean; media?: string[]; files?: string[] };

export interface SessionSnapshot {
  messages: StoredMessage[];
  summary?: string;
}

export interface SessionInfo {
  key: string;
  messages: number;
  updatedAt: string;
  title?: string;
}

export interface SessionStore {
  load(key: string): Promise<SessionSnapshot>;
  /**
   * Once it resolves the messages survive the process crashing; a store may fsync them to disk a
   * little later (`flush` forces it).
   */
  append(key: string, messages: StoredMessage[]): Promise<void>;
  /** Makes every append so far durable on disk (called on shutdown). */
  flush?(): Promise<void>;
  /** Replaces the whole history (after trimming or summarising). */
  rewrite(key: string, snapshot: SessionSnapshot): Promise<void>;
  /** Starts the session afresh; the old history is archived, not lost. */
  clear(key: string): Promise<void>;
  list(): Promise<SessionInfo[]>;
  /** Names a session for lists (the first question is the default title). */
  setTitle(key: string, title: string): Promise<void>;
  /**
   * Conversations whose title or user/assistant text has the query (session-search.ts), newest
   * first, reading at most the query's byte budget. Only on request (the dashboard's search).
   */
  search?(query: SessionSearchQuery): Promise<SessionSearchResult>;
  /**
   * Takes the session's turn lock across processes, for stores shared by several gateways;
   * resolves with its release. Absent when one process owns the store (its queue suffices).
   */
  lock?(key: string, signal?: AbortSignal): Promise<() => Promise<void>>;
}
