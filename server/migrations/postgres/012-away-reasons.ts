/** The twin of SQLite migration 021: why an agent is Away, with their routing settings (see server/migrations/021-away-reasons.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration012AwayReasons: PostgresMigration = {
  version: 12,
  name: 'away-reasons',
  sql: 'ALTER TABLE agent_settings ADD COLUMN away_reason TEXT',
};
