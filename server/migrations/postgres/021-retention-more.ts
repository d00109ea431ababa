/** The twin of SQLite migration 030: expired user tokens, rating-link tokens and provisional ticket ids by age (see server/migrations/030-retention-more.ts). */
import { RETENTION_MORE_INDEXES } from '../030-retention-more.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration021RetentionMore: PostgresMigration = {
  version: 21,
  name: 'retention-more',
  sql: RETENTION_MORE_INDEXES.join(';\n'),
};
