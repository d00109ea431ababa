/** The twin of SQLite migration 024: open tickets without a first response, for the alarms' passes (see server/migrations/024-tickets-unanswered.ts). */
import { TICKETS_OPEN_UNANSWERED_INDEX } from '../024-tickets-unanswered.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration015TicketsUnanswered: PostgresMigration = {
  version: 15,
  name: 'tickets-unanswered',
  sql: TICKETS_OPEN_UNANSWERED_INDEX,
};
