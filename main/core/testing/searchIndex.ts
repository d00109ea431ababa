import type { Cache } from '../cache/cache.js';

/** Runs the search walk a bootstrap leaves (cache migration 023) to its end, as the core does after `online`. */
export function indexSearchNow(cache: Cache, chunkTickets = 1_000): void {
  while (cache.writer.indexSearchChunk(chunkTickets) !== null);
}
