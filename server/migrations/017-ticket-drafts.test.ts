import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 017 ticket drafts', () => {
  it('maps a user’s provisional id to one GD ticket: a second row for the same draft or the same ticket is refused', () => {
    migrateToBefore(db, 17);
    db.prepare(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES ('agent1', 'agent1', '王芳', 'agent', 'phone', '[]', 1, 0, 'x', 1)",
    ).run();
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    for (const id of ['GD20241108001', 'GD20241108002']) {
      db.prepare(
        `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
         VALUES (?, 'CUS20241108001', 'phone', 'consult', '来电', 'normal', 'in_progress', 1, 1, 14400001, '', 1)`,
      ).run(id);
    }

    applyMigration(db, 17);
    const draft = 'GD00000000001733300000000123456789012';
    const insert = db.prepare("INSERT INTO ticket_drafts (user_id, draft_id, ticket_id, customer_id, created_at) VALUES ('agent1', ?, ?, 'CUS20241108001', 5)");
    insert.run(draft, 'GD20241108001');
    expect(() => insert.run(draft, 'GD20241108002')).toThrow(/UNIQUE/);
    expect(() => insert.run('GD00000000001733300000000999999999999', 'GD20241108001')).toThrow(/UNIQUE/);
    expect(() => insert.run('GD00000000001733300000000999999999999', 'GD20990101001')).toThrow(/FOREIGN KEY/);
    expect(db.prepare('SELECT ticket_id FROM ticket_drafts WHERE user_id = ? AND draft_id = ?').get('agent1', draft)).toEqual({ ticket_id: 'GD20241108001' });
  });
});
