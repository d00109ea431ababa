import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateCache, schemaVersion } from '../migrate.js';

describe('cache migration 017-reply-subjects', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-m017-'));
    db = new Database(path.join(dir, 'cache.sqlite'));
    migrateCache(db, undefined, 16);
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '草稿', 1)").run();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a nullable subject to messages and drafts; keeps what was cached', () => {
    expect(migrateCache(db, undefined, 17)).toBe(17);
    expect(schemaVersion(db)).toBe(17);
    expect(db.prepare('SELECT id, subject FROM drafts').all()).toEqual([{ id: 'd1', subject: null }]);
    db.prepare("UPDATE drafts SET subject = '退款进度' WHERE id = 'd1'").run();
    expect(db.prepare('SELECT subject FROM drafts').pluck().get()).toBe('退款进度');
    expect(db.prepare("SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'subject'").pluck().get()).toBe(1);
  });
});
