import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 006-message-channels', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 6);
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at, pending)
       VALUES ('m1', 'GD20240501001', 'inbound', 'email', NULL, '张伟', '快递三天没动了', NULL, 'received', 1, 0)`,
    ).run();
  });

  it('reads existing messages as having no attachments, no source, no call and no delivery error', () => {
    applyCacheMigration(db, 6);
    expect(db.prepare('SELECT text, attachments_json, source, call_json, delivery_error FROM messages').all()).toEqual([
      { text: '快递三天没动了', attachments_json: '[]', source: null, call_json: null, delivery_error: null },
    ]);
  });
});
