import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 015 csat', () => {
  it('adds one survey per ticket, ratings 1–5, unique feedback ids and hashed tokens', () => {
    migrateToBefore(db, 15);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20261204001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20261204001', 'CUS20261204001', 'email', 'inquiry', '咨询', 'normal', 'completed', 1, 1, 7200001, '咨询', 1)`,
    ).run();

    applyMigration(db, 15);
    const create = db.prepare(
      "INSERT INTO csat_surveys (ticket_id, channel, status, created_at, expires_at) VALUES ('GD20261204001', 'email', 'queued', 5, 10) ON CONFLICT (ticket_id) DO NOTHING",
    );
    expect(create.run().changes).toBe(1);
    // A retried completion (or a second node) creates nothing more.
    expect(create.run().changes).toBe(0);
    expect(() => db.prepare("UPDATE csat_surveys SET status = 'maybe'").run()).toThrow(/CHECK/);
    expect(() => db.prepare('UPDATE csat_surveys SET attitude = 6').run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE csat_surveys SET invite_message_id = 'nothing'").run()).toThrow(/FOREIGN KEY/);
    db.prepare("UPDATE csat_surveys SET feedback_id = 'FK20261204001', attitude = 5, speed = 4, resolution = 3, professionalism = 2, answered_at = 9").run();
    db.prepare("INSERT INTO csat_tokens (token_hash, survey_id, created_at) VALUES ('h1', 1, 5)").run();
    expect(() => db.prepare("INSERT INTO csat_tokens (token_hash, survey_id, created_at) VALUES ('h1', 1, 6)").run()).toThrow(/UNIQUE/);
    expect(() => db.prepare("INSERT INTO csat_tokens (token_hash, survey_id, created_at) VALUES ('h2', 99, 6)").run()).toThrow(/FOREIGN KEY/);
  });
});
