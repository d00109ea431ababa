/** The twin of SQLite migration 029: the change audiences by seq, the idempotency records by age (see server/migrations/029-history-retention.ts). */
import { HISTORY_RETENTION_INDEXES } from '../029-history-retention.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration020HistoryRetention: PostgresMigration = {
  version: 20,
  name: 'history-retention',
  sql: HISTORY_RETENTION_INDEXES.join(';\n'),
};
