import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 020 away reasons', () => {
  it('keeps every agent’s routing settings and adds an empty away reason', () => {
    migrateToBefore(db, 20);
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run();
    db.prepare(
      "INSERT INTO agent_settings (user_id, presence, presence_cause, presence_since, capacity_json, phone_blocks_chat, updated_at) VALUES ('agent1', 'away', 'self', 5, '{\"chat\":3}', 1, 5)",
    ).run();

    applyMigration(db, 20);
    expect(db.prepare('SELECT user_id, presence, presence_since, capacity_json, away_reason FROM agent_settings').all()).toEqual([
      { user_id: 'agent1', presence: 'away', presence_since: 5, capacity_json: '{"chat":3}', away_reason: null },
    ]);
    db.prepare("UPDATE agent_settings SET away_reason = 'meal' WHERE user_id = 'agent1'").run();
    expect(db.prepare('SELECT away_reason FROM agent_settings').pluck().get()).toBe('meal');
  });
});
