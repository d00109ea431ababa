import type { Cache } from '../cache/cache.js';
import { SEARCH_WALK_CHUNK_TICKETS } from '../cache/searchWalk.js';

/** Runs the search walk a bootstrap leaves (cache migration 023) to its end, as the core does after `online`. */
export function indexSearchNow(cache: Cache, chunkTickets = SEARCH_WALK_CHUNK_TICKETS): void {
  while (cache.writer.indexSearchChunk(chunkTickets) !== null);
}
