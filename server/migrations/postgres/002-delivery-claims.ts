/** The twin of SQLite migration 011: claims on queued replies (see server/migrations/011-delivery-claims.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration002DeliveryClaims: PostgresMigration = {
  version: 2,
  name: 'delivery-claims',
  sql: `
    ALTER TABLE messages ADD COLUMN claimed_by TEXT;
    ALTER TABLE messages ADD COLUMN claimed_until BIGINT;
  `,
};
