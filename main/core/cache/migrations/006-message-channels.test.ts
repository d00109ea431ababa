import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateCache, schemaVersion } from '../migrate.js';

describe('cache migration 006-message-channels', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-m006-'));
    db = new Database(path.join(dir, 'cache.sqlite'));
    migrateCache(db, undefined, 5);
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at, pending)
       VALUES ('m1', 'GD20240501001', 'inbound', 'email', NULL, '张伟', '快递三天没动了', NULL, 'received', 1, 0)`,
    ).run();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads existing messages as having no attachments, no source, no call and no delivery error', () => {
    expect(migrateCache(db, undefined, 6)).toBe(6);
    expect(schemaVersion(db)).toBe(6);
    expect(db.prepare('SELECT text, attachments_json, source, call_json, delivery_error FROM messages').all()).toEqual([
      { text: '快递三天没动了', attachments_json: '[]', source: null, call_json: null, delivery_error: null },
    ]);
  });
});
