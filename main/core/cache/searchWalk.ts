/**
 * Drives the search indexes' walk after a bootstrap (cache migration 023): one chunk per
 * turn of the event loop, so the core answers the window between chunks and the agent works
 * (search falls back to `LIKE`) while the indexes fill.
 */
import type { Cache, SearchIndexProgress } from './cache.js';

/** Tickets (and twice as many messages) per chunk: each is one short transaction. */
export const SEARCH_WALK_CHUNK_TICKETS = 1_000;

export interface SearchWalk {
  /** Runs the walk if one is due (after a bootstrap, or one a crash interrupted); idempotent. */
  kick(): void;
  stop(): void;
}

export interface SearchWalkOptions {
  cache: Cache;
  /** Each chunk's progress, then null once search is indexed. */
  onProgress(progress: SearchIndexProgress | null): void;
  chunkTickets?: number;
}

export function startSearchWalk(options: SearchWalkOptions): SearchWalk {
  const chunkTickets = options.chunkTickets ?? SEARCH_WALK_CHUNK_TICKETS;
  let next: NodeJS.Immediate | null = null;
  let stopped = false;

  function step(): void {
    next = null;
    if (stopped) return;
    let progress: SearchIndexProgress | null;
    try {
      progress = options.cache.writer.indexSearchChunk(chunkTickets);
    } catch (error) {
      // The cache closed under it (sign-out), or the disk failed: search keeps using LIKE, the next kick tries again.
      console.warn(`search index: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    options.onProgress(progress);
    // Null also while a bootstrap runs: its end kicks the walk again.
    if (progress !== null) next = setImmediate(step);
  }

  return {
    kick() {
      if (!stopped && next === null) next = setImmediate(step);
    },
    stop() {
      stopped = true;
      if (next !== null) clearImmediate(next);
      next = null;
    },
  };
}
