import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateCache, schemaVersion } from '../migrate.js';

describe('cache migration 007-customer-identities', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-m007-'));
    db = new Database(path.join(dir, 'cache.sqlite'));
    migrateCache(db, undefined, 6);
    db.prepare(
      "INSERT INTO customers (id, name, phone, email, social_id, vip_tier, created_at) VALUES ('CUS20241108001', '张伟', '13800138000', NULL, NULL, 0, 1)",
    ).run();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps existing customers, with no identities known until the server sends them again', () => {
    expect(migrateCache(db, undefined, 7)).toBe(7);
    expect(schemaVersion(db)).toBe(7);
    expect(db.prepare('SELECT id, name, phone, identities_json FROM customers').all()).toEqual([
      { id: 'CUS20241108001', name: '张伟', phone: '13800138000', identities_json: '[]' },
    ]);
  });
});
