/** The twin of SQLite migration 035: fewer indexes on `tickets` and `customers` (see server/migrations/035-hot-table-indexes.ts). */
import { HOT_TABLE_INDEX_STATEMENTS } from '../035-hot-table-indexes.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration026HotTableIndexes: PostgresMigration = {
  version: 26,
  name: 'hot-table-indexes',
  sql: HOT_TABLE_INDEX_STATEMENTS.join(';\n'),
};
