/** The twin of SQLite migration 020: why an agent is Away, with their routing settings (see server/migrations/020-away-reasons.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration011AwayReasons: PostgresMigration = {
  version: 11,
  name: 'away-reasons',
  sql: 'ALTER TABLE agent_settings ADD COLUMN away_reason TEXT',
};
