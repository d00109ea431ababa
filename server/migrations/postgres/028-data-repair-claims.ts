/** The twin of SQLite migration 037: the claim of a data repair under way, and where it has got to (see server/migrations/037-data-repair-claims.ts). */
import { dataRepairClaimsTable } from '../037-data-repair-claims.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration028DataRepairClaims: PostgresMigration = {
  version: 28,
  name: 'data-repair-claims',
  sql: dataRepairClaimsTable('BIGINT'),
};
