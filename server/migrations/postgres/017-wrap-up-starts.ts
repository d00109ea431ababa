/** The twin of SQLite migration 026: what started a wrap-up, found without reading every completed ticket and call (see server/migrations/026-wrap-up-starts.ts). */
import { WRAP_UP_STARTS_INDEXES } from '../026-wrap-up-starts.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration017WrapUpStarts: PostgresMigration = {
  version: 17,
  name: 'wrap-up-starts',
  sql: WRAP_UP_STARTS_INDEXES.join(';\n'),
};
