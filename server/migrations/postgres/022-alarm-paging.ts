/** The twin of SQLite migration 031: open alarms and waiting escalation requests by id, and when a ticket went back to the queue (see server/migrations/031-alarm-paging.ts). */
import { ALARM_PAGING_STATEMENTS } from '../031-alarm-paging.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration022AlarmPaging: PostgresMigration = {
  version: 22,
  name: 'alarm-paging',
  sql: ['ALTER TABLE tickets ADD COLUMN requeued_at BIGINT', ...ALARM_PAGING_STATEMENTS].join(';\n'),
};
