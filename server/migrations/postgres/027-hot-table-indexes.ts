/** The twin of SQLite migration 036: fewer indexes on `tickets` and `customers` (see server/migrations/036-hot-table-indexes.ts). */
import { HOT_TABLE_INDEX_STATEMENTS } from '../036-hot-table-indexes.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration027HotTableIndexes: PostgresMigration = {
  version: 27,
  name: 'hot-table-indexes',
  sql: HOT_TABLE_INDEX_STATEMENTS.join(';\n'),
};
