/**
 * Real channels: a message keeps its source (email, webchat, wechat:<app>, cti…), its
 * attachments, the call it records and why delivery failed; the bytes of attachments and
 * the raw source of a mail live in their own tables so listing messages never reads them.
 * Customers gain any number of identities (phone, email, social id per platform) and can
 * be merged into another, with an audit row.
 */
import type { Migration } from './migration.js';

export const migration005Channels: Migration = {
  version: 5,
  name: 'channels',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN source TEXT;
      ALTER TABLE messages ADD COLUMN attachments_json TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE messages ADD COLUMN call_json TEXT;
      ALTER TABLE messages ADD COLUMN delivery_error TEXT;
      CREATE INDEX messages_queued ON messages(delivery_status) WHERE delivery_status = 'queued';

      CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages(id),
        file_name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        data BLOB NOT NULL
      );
      CREATE INDEX attachments_message ON attachments(message_id);

      CREATE TABLE message_sources (
        message_id TEXT PRIMARY KEY REFERENCES messages(id),
        raw BLOB NOT NULL
      );

      CREATE TABLE customer_identities (
        kind TEXT NOT NULL CHECK (kind IN ('phone', 'email', 'social')),
        value TEXT NOT NULL,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (kind, value)
      );
      CREATE INDEX customer_identities_customer ON customer_identities(customer_id);
      INSERT OR IGNORE INTO customer_identities (kind, value, customer_id, created_at)
        SELECT 'phone', phone, id, created_at FROM customers WHERE phone IS NOT NULL ORDER BY created_at, id;
      INSERT OR IGNORE INTO customer_identities (kind, value, customer_id, created_at)
        SELECT 'email', email, id, created_at FROM customers WHERE email IS NOT NULL ORDER BY created_at, id;
      INSERT OR IGNORE INTO customer_identities (kind, value, customer_id, created_at)
        SELECT 'social', social_id, id, created_at FROM customers WHERE social_id IS NOT NULL ORDER BY created_at, id;

      ALTER TABLE customers ADD COLUMN merged_into TEXT REFERENCES customers(id);
      CREATE TABLE customer_merges (
        id INTEGER PRIMARY KEY,
        kept_id TEXT NOT NULL REFERENCES customers(id),
        merged_id TEXT NOT NULL REFERENCES customers(id),
        by_user_id TEXT NOT NULL,
        by_name TEXT NOT NULL,
        tickets_moved INTEGER NOT NULL,
        at INTEGER NOT NULL
      );
    `);
  },
};
