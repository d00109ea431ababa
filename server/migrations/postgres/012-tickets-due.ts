/** The twin of SQLite migration 021: tickets by due time, for the Board's SLA chart (see server/migrations/021-tickets-due.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration012TicketsDue: PostgresMigration = {
  version: 12,
  name: 'tickets-due',
  sql: 'CREATE INDEX tickets_due ON tickets(due_at, completed_at)',
};
