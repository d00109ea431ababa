/** The twin of SQLite migration 038: the claim of a data repair under way, and where it has got to (see server/migrations/038-data-repair-claims.ts). */
import { dataRepairClaimsTable } from '../038-data-repair-claims.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration029DataRepairClaims: PostgresMigration = {
  version: 29,
  name: 'data-repair-claims',
  sql: dataRepairClaimsTable('BIGINT'),
};
