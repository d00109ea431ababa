/**
 * The PostgreSQL migrations and their runner. Several nodes may start at once: the runner
 * holds a session advisory lock while it reads what is applied and applies the rest, so
 * exactly one of them migrates and the others find the schema ready. Each step and its
 * bookkeeping row commit together.
 */
import { MIGRATION_LOCK_KEY } from '../../db/lockKeys.js';
import type { PostgresDatabase } from '../../db/postgres.js';
import { postgresMigration001Baseline } from './001-baseline.js';
import { postgresMigration002DeliveryClaims } from './002-delivery-claims.js';
import { postgresMigration003Scripts } from './003-scripts.js';
import { postgresMigration004TicketFields } from './004-ticket-fields.js';
import { postgresMigration005Alerts } from './005-alerts.js';
import { postgresMigration006Csat } from './006-csat.js';
import { postgresMigration007Administration } from './007-administration.js';
import { postgresMigration008TicketDrafts } from './008-ticket-drafts.js';
import { postgresMigration009CustomerHistory } from './009-customer-history.js';
import { postgresMigration010Knowledge } from './010-knowledge.js';
import { postgresMigration011AwayReasons } from './011-away-reasons.js';
import { postgresMigration012TicketsDue } from './012-tickets-due.js';
import { postgresMigration013ReplyUploads } from './013-reply-uploads.js';
import { postgresMigration014MessageSubjects } from './014-message-subjects.js';
import { postgresMigration015TicketsUnanswered } from './015-tickets-unanswered.js';
import { postgresMigration016ReportRollup } from './016-report-rollup.js';
import { postgresMigration017WrapUpStarts } from './017-wrap-up-starts.js';
import { postgresMigration018ReplyUploadQuota } from './018-reply-upload-quota.js';
import { postgresMigration020HistoryRetention } from './020-history-retention.js';
import { postgresMigration021RetentionMore } from './021-retention-more.js';
import { postgresMigration022AlarmPaging } from './022-alarm-paging.js';
import { postgresMigration023FinishedTickets } from './023-finished-tickets.js';
import { postgresMigration024ReportCredentials } from './024-report-credentials.js';
import { postgresMigration025MutationFingerprints } from './025-mutation-fingerprints.js';
import { postgresMigration026DataRepairs } from './026-data-repairs.js';
import { postgresMigration027HotTableIndexes } from './027-hot-table-indexes.js';
import { postgresMigration028SignInDevices } from './028-sign-in-devices.js';
import { postgresMigration029DataRepairClaims } from './029-data-repair-claims.js';
import type { PostgresMigration } from './migration.js';

export type { PostgresMigration } from './migration.js';

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  postgresMigration001Baseline,
  postgresMigration002DeliveryClaims,
  postgresMigration003Scripts,
  postgresMigration004TicketFields,
  postgresMigration005Alerts,
  postgresMigration006Csat,
  postgresMigration007Administration,
  postgresMigration008TicketDrafts,
  postgresMigration009CustomerHistory,
  postgresMigration010Knowledge,
  postgresMigration011AwayReasons,
  postgresMigration012TicketsDue,
  postgresMigration013ReplyUploads,
  postgresMigration014MessageSubjects,
  postgresMigration015TicketsUnanswered,
  postgresMigration016ReportRollup,
  postgresMigration017WrapUpStarts,
  postgresMigration018ReplyUploadQuota,
  postgresMigration020HistoryRetention,
  postgresMigration021RetentionMore,
  postgresMigration022AlarmPaging,
  postgresMigration023FinishedTickets,
  postgresMigration024ReportCredentials,
  postgresMigration025MutationFingerprints,
  postgresMigration026DataRepairs,
  postgresMigration027HotTableIndexes,
  postgresMigration028SignInDevices,
  postgresMigration029DataRepairClaims,
];

export { MIGRATION_LOCK_KEY };

/** Applies the missing migrations up to `target` (default: all); returns the versions it applied. */
export async function migratePostgres(db: PostgresDatabase, target?: number): Promise<number[]> {
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const done = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((row) => Number(row.version)));
      const applied: number[] = [];
      for (const migration of POSTGRES_MIGRATIONS) {
        if (done.has(migration.version) || (target !== undefined && migration.version > target)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
