/** The twin of SQLite migration 033: report-reader credentials, their secrets kept as SHA-256 only (see server/migrations/033-report-credentials.ts). */
import { reportCredentialStatements } from '../033-report-credentials.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration024ReportCredentials: PostgresMigration = {
  version: 24,
  name: 'report-credentials',
  sql: reportCredentialStatements('BIGINT').join(';\n'),
};
