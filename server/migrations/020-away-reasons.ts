/**
 * Why an agent is Away (shared/routing.ts `awayReasonSchema`): kept with the rest of their
 * routing settings so it survives a restart or a new routing leader, like the presence it
 * qualifies. NULL for every other presence and for automatic Away (offer time-outs, idle).
 */
import type { Migration } from './migration.js';

export const migration020AwayReasons: Migration = {
  version: 20,
  name: 'away-reasons',
  up(db) {
    db.exec('ALTER TABLE agent_settings ADD COLUMN away_reason TEXT');
  },
};
