/**
 * The report rollup (server/reports/reportRollup.ts, docs/technical/server.md, Reports, "The rollup"):
 * each ticket's contribution to the report's partial sums and their sums per China-local day ×
 * channel × type × group × agent, filled here from the tickets already stored; the store keeps
 * both current from then on. Numbered 025 (PostgreSQL 016 is its twin).
 */
import { reportRollupBackfillSql, reportRollupTablesSql } from '../reports/reportRollup.js';
import type { Migration } from './migration.js';

export const migration025ReportRollup: Migration = {
  version: 25,
  name: 'report-rollup',
  up(db) {
    db.exec(reportRollupTablesSql('sqlite'));
    for (const statement of reportRollupBackfillSql('sqlite')) db.exec(statement);
  },
};
