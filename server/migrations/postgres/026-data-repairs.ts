/** The twin of SQLite migration 035: the table of data repairs done, empty (see server/migrations/035-data-repairs.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration026DataRepairs: PostgresMigration = {
  version: 26,
  name: 'data-repairs',
  sql: 'CREATE TABLE data_repairs (name TEXT PRIMARY KEY, done_at BIGINT NOT NULL)',
};
