/**
 * The server clock's offset as last measured (server − local, ms; main/core/sync/serverClock.ts),
 * so that writes made after a restart while offline are still dated in server time. NULL: never
 * measured (a cache from before, or one that has not synced yet).
 */
import type { CacheMigration } from './migration.js';

export const migration025ServerClock: CacheMigration = {
  version: 25,
  name: 'server-clock',
  up(db) {
    db.exec('ALTER TABLE sync_state ADD COLUMN clock_offset_ms INTEGER');
  },
};
