/**
 * Report-reader credentials (issue 11, "an HTTP endpoint for the same data so other systems can
 * pull it"): named, long-lived secrets an administrator gives a BI tool or a data warehouse,
 * good for `GET /api/v1/reports` and `/api/v1/reports/charts` only. As with the `tokens` table,
 * only the secret's SHA-256 is kept, so a copy of the database reads no report. A revoked
 * credential keeps its row (`revoked_at`) so the list and the audit can still name it; every
 * node reads the row on every request, so a revocation holds at once everywhere.
 * Numbered 033; PostgreSQL 024 is its twin.
 */
import type { Migration } from './migration.js';

/** Both backends' statements; epoch-ms columns are INTEGER on SQLite and BIGINT on PostgreSQL (the baseline's mapping). */
export function reportCredentialStatements(integer: 'INTEGER' | 'BIGINT'): string[] {
  return [
    `CREATE TABLE report_credentials (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL UNIQUE,
     created_by_id TEXT NOT NULL,
     created_by_name TEXT NOT NULL,
     created_at ${integer} NOT NULL,
     last_used_at ${integer},
     revoked_at ${integer}
   )`,
    // One live credential per name: the list and the audit tell them apart by it.
    'CREATE UNIQUE INDEX report_credentials_live_name ON report_credentials(name) WHERE revoked_at IS NULL',
  ];
}

export const migration033ReportCredentials: Migration = {
  version: 33,
  name: 'report-credentials',
  up(db) {
    for (const statement of reportCredentialStatements('INTEGER')) db.exec(statement);
  },
};
