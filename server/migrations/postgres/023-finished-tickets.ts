/** The twin of SQLite migration 032: completed and closed tickets by completion time, for the board's day figures (see server/migrations/032-finished-tickets.ts). */
import { FINISHED_TICKETS_INDEX } from '../032-finished-tickets.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration023FinishedTickets: PostgresMigration = {
  version: 23,
  name: 'finished-tickets',
  sql: FINISHED_TICKETS_INDEX,
};
