/**
 * The audit of personal data reveals: every time someone asks for the clear value of a
 * masked field (shared/pii.ts) — who, in which role, which ticket, customer and field
 * (and which message, note or call), and when. Names are kept on the row, like everywhere
 * else, so the audit reads correctly after a user is renamed or leaves. The field is not a
 * CHECK constraint: the list grows with the product and is validated by the shared schema.
 */
import type { Migration } from './migration.js';

export const migration010PiiReveals: Migration = {
  version: 10,
  name: 'pii-reveals',
  up(db) {
    db.exec(`
      CREATE TABLE pii_reveals (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id),
        user_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('agent', 'lead', 'admin')),
        ticket_id TEXT REFERENCES tickets(id),
        customer_id TEXT REFERENCES customers(id),
        field TEXT NOT NULL,
        target_id TEXT
      );
      CREATE INDEX pii_reveals_ticket ON pii_reveals(ticket_id, id);
      CREATE INDEX pii_reveals_customer ON pii_reveals(customer_id, id);
    `);
  },
};
