/** The twin of SQLite migration 022: tickets by due time, for the Board's SLA chart (see server/migrations/022-tickets-due.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration013TicketsDue: PostgresMigration = {
  version: 13,
  name: 'tickets-due',
  sql: 'CREATE INDEX tickets_due ON tickets(due_at, completed_at)',
};
