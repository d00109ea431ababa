/** The twin of SQLite migration 024: the subject an agent wrote for an email reply (see server/migrations/024-message-subjects.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration015MessageSubjects: PostgresMigration = {
  version: 15,
  name: 'message-subjects',
  sql: 'ALTER TABLE messages ADD COLUMN subject TEXT',
};
