/** The twin of SQLite migration 025: open tickets without a first response, for the alarms' passes (see server/migrations/025-tickets-unanswered.ts). */
import { TICKETS_OPEN_UNANSWERED_INDEX } from '../025-tickets-unanswered.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration016TicketsUnanswered: PostgresMigration = {
  version: 16,
  name: 'tickets-unanswered',
  sql: TICKETS_OPEN_UNANSWERED_INDEX,
};
