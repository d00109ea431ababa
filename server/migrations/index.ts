/**
 * The ordered list of migrations and the runner that applies the missing ones.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { migration001Initial } from './001-initial.js';
import { migration002RoutingAudit } from './002-routing-audit.js';
import { migration003FollowUp } from './003-follow-up.js';
import { migration004RoutingEngine } from './004-routing-engine.js';
import { migration005Channels } from './005-channels.js';
import { migration006Cti } from './006-cti.js';
import { migration007CustomerPhonesE164 } from './007-customer-phones-e164.js';
import { migration008CustomerClaims } from './008-customer-claims.js';
import { migration009UserBoundMutations } from './009-user-bound-mutations.js';
import { migration010PiiReveals } from './010-pii-reveals.js';
import { migration011DeliveryClaims } from './011-delivery-claims.js';
import { migration012Scripts } from './012-scripts.js';
import { migration013TicketFields } from './013-ticket-fields.js';
import { migration014Alerts } from './014-alerts.js';
import { migration015Csat } from './015-csat.js';
import { migration016Administration } from './016-administration.js';
import { migration017TicketDrafts } from './017-ticket-drafts.js';
import { migration018CustomerHistory } from './018-customer-history.js';
import { migration019Knowledge } from './019-knowledge.js';
import { migration020AwayReasons } from './020-away-reasons.js';
import { migration021TicketsDue } from './021-tickets-due.js';
import { migration022ReplyUploads } from './022-reply-uploads.js';
import { migration023MessageSubjects } from './023-message-subjects.js';
import { migration024TicketsUnanswered } from './024-tickets-unanswered.js';
import { migration025ReportRollup } from './025-report-rollup.js';
import { migration026WrapUpStarts } from './026-wrap-up-starts.js';
import { migration027ReplyUploadQuota } from './027-reply-upload-quota.js';
import { migration029HistoryRetention } from './029-history-retention.js';
import { migration030RetentionMore } from './030-retention-more.js';
import { migration031AlarmPaging } from './031-alarm-paging.js';
import { migration032FinishedTickets } from './032-finished-tickets.js';
import { migration033ReportCredentials } from './033-report-credentials.js';
import { migration034MutationFingerprints } from './034-mutation-fingerprints.js';
import { migration035DataRepairs } from './035-data-repairs.js';
import { migration036HotTableIndexes } from './036-hot-table-indexes.js';
import { migration037WithoutRowid } from './037-without-rowid.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

export const MIGRATIONS: readonly Migration[] = [
  migration001Initial,
  migration002RoutingAudit,
  migration003FollowUp,
  migration004RoutingEngine,
  migration005Channels,
  migration006Cti,
  migration007CustomerPhonesE164,
  migration008CustomerClaims,
  migration009UserBoundMutations,
  migration010PiiReveals,
  migration011DeliveryClaims,
  migration012Scripts,
  migration013TicketFields,
  migration014Alerts,
  migration015Csat,
  migration016Administration,
  migration017TicketDrafts,
  migration018CustomerHistory,
  migration019Knowledge,
  migration020AwayReasons,
  migration021TicketsDue,
  migration022ReplyUploads,
  migration023MessageSubjects,
  migration024TicketsUnanswered,
  migration025ReportRollup,
  migration026WrapUpStarts,
  migration027ReplyUploadQuota,
  migration029HistoryRetention,
  migration030RetentionMore,
  migration031AlarmPaging,
  migration032FinishedTickets,
  migration033ReportCredentials,
  migration034MutationFingerprints,
  migration035DataRepairs,
  migration036HotTableIndexes,
  migration037WithoutRowid,
];

/** Versions already applied to this database, ascending. */
export function appliedVersions(db: Database.Database): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>;
  return rows.map((row) => row.version);
}

/**
 * Applies, in order and each in its own transaction, every migration up to `targetVersion`
 * (default: all) that is not applied yet. Returns the versions it applied.
 */
export function migrate(db: Database.Database, targetVersion: number = Number.POSITIVE_INFINITY, now: number = Date.now()): number[] {
  const done = new Set(appliedVersions(db));
  const newest = Math.max(0, ...done);
  const known = Math.max(0, ...MIGRATIONS.map((m) => m.version));
  if (newest > known) {
    throw new Error(`The database is at schema version ${String(newest)}, newer than this server knows (${String(known)}); upgrade the server.`);
  }
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version > targetVersion || done.has(migration.version)) continue;
    db.transaction(() => {
      migration.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, now);
    })();
    applied.push(migration.version);
  }
  return applied;
}
