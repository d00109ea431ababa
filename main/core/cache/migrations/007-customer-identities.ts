/**
 * Customers as the server now describes them: every phone, email and social id they were
 * recognised by on any channel (`identities`), kept as JSON next to the primary ones.
 * Existing rows read as "no identities known yet" until the server sends the customer again.
 */
import type { CacheMigration } from './migration.js';

export const migration007CustomerIdentities: CacheMigration = {
  version: 7,
  name: 'customer-identities',
  up(db) {
    db.exec(`ALTER TABLE customers ADD COLUMN identities_json TEXT NOT NULL DEFAULT '[]';`);
  },
};
