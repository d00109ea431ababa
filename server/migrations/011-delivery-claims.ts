/**
 * Claims on queued replies: the node that is sending a reply writes its id and how long the
 * claim lasts, so that of several nodes exactly one sends it; a claim whose node died runs
 * out and another node takes the reply. A claim is cleared when the reply is sent or fails.
 */
import type { Migration } from './migration.js';

export const migration011DeliveryClaims: Migration = {
  version: 11,
  name: 'delivery-claims',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN claimed_by TEXT;
      ALTER TABLE messages ADD COLUMN claimed_until INTEGER;
    `);
  },
};
