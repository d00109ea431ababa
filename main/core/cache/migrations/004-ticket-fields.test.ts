import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateCache, schemaVersion } from '../migrate.js';

describe('cache migration 004-ticket-fields', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-m004-'));
    db = new Database(path.join(dir, 'cache.sqlite'));
    migrateCache(db, undefined, 3);
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
      VALUES ('GD20240501001', 'CUS20240501001', 'phone', 'consult', '订单物流查询延迟', 'normal', 'in_progress', 1, 1, 2, '', 1)`,
    ).run();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives cached tickets no reminder and default routing, keeps them searchable, and refuses a negative time', () => {
    expect(migrateCache(db, undefined, 4)).toBe(4);
    expect(schemaVersion(db)).toBe(4);
    expect(db.prepare('SELECT subject, follow_up_at, routing FROM tickets').all()).toEqual([
      { subject: '订单物流查询延迟', follow_up_at: null, routing: null },
    ]);
    expect(db.prepare(`SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH '"物流查询"'`).pluck().all()).toHaveLength(1);
    db.prepare("UPDATE tickets SET follow_up_at = 1731060000000 WHERE id = 'GD20240501001'").run();
    expect(db.prepare('SELECT follow_up_at FROM tickets').pluck().get()).toBe(1731060000000);
    expect(() => db.prepare("UPDATE tickets SET follow_up_at = -5 WHERE id = 'GD20240501001'").run()).toThrow(/CHECK/);
  });
});
