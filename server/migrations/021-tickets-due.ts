/**
 * The Board's SLA chart (server/reports/reportRepository.ts `SLA_DAYS_SQL`) counts the
 * tickets DUE on each of 14 days. Without an index on the due time it had to read every
 * ticket created in those days plus the longest resolution window before them (44 days,
 * ~1.4 s over a million tickets); `completed_at` beside `due_at` answers met/missed from the
 * index alone (benchmarks.md, charts).
 */
import type { Migration } from './migration.js';

export const migration021TicketsDue: Migration = {
  version: 21,
  name: 'tickets-due',
  up(db) {
    db.exec('CREATE INDEX tickets_due ON tickets(due_at, completed_at)');
  },
};
