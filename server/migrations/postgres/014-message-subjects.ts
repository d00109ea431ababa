/** The twin of SQLite migration 023: the subject an agent wrote for an email reply (see server/migrations/023-message-subjects.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration014MessageSubjects: PostgresMigration = {
  version: 14,
  name: 'message-subjects',
  sql: 'ALTER TABLE messages ADD COLUMN subject TEXT',
};
