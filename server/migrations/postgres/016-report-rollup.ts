/** The twin of SQLite migration 025: the report rollup's two tables, filled from the tickets already stored (see server/migrations/025-report-rollup.ts). */
import { reportRollupBackfillSql, reportRollupTablesSql } from '../../reports/reportRollup.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration016ReportRollup: PostgresMigration = {
  version: 16,
  name: 'report-rollup',
  sql: [reportRollupTablesSql('postgres'), ...reportRollupBackfillSql('postgres')].join(';\n'),
};
