import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

function addUser(id: string, displayName: string): void {
  db.prepare(
    `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at, languages_json)
     VALUES (?, ?, ?, 'agent', '["phone"]', '[]', 1, 0, 'x', 1, '["zh"]')`,
  ).run(id, id, displayName);
}

describe('migration 006 cti', () => {
  it('gives existing users no extension, keeps extensions unique, and stores calls and their events once each', () => {
    migrateToBefore(db, 6);
    addUser('agent1', '王芳');
    addUser('agent2', '张强');

    applyMigration(db, 6);
    expect(db.prepare('SELECT id, extension FROM users ORDER BY id').all()).toEqual([
      { id: 'agent1', extension: null },
      { id: 'agent2', extension: null },
    ]);
    db.prepare("UPDATE users SET extension = '8001' WHERE id = 'agent1'").run();
    expect(() => db.prepare("UPDATE users SET extension = '8001' WHERE id = 'agent2'").run()).toThrow(/UNIQUE/);

    const insertCall = db.prepare(
      `INSERT INTO cti_calls (call_id, state, from_number, to_number, agent_extension, agent_id, started_at, updated_at)
       VALUES (?, ?, '13800138000', '4008001234', '8001', ?, 10, 10)`,
    );
    insertCall.run('call-1', 'ringing', 'agent1');
    expect(() => insertCall.run('call-2', 'on_hold', 'agent1')).toThrow(/CHECK/);
    expect(() => insertCall.run('call-3', 'ringing', 'nobody')).toThrow(/FOREIGN KEY/);

    const insertEvent = db.prepare("INSERT INTO cti_call_events (call_id, event, at, received_at, source) VALUES ('call-1', ?, 10, 11, 'cti')");
    insertEvent.run('offered');
    expect(() => insertEvent.run('offered')).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => insertEvent.run('transferred')).toThrow(/CHECK/);
    expect(db.prepare('SELECT call_id, state, agent_id FROM cti_calls').all()).toEqual([{ call_id: 'call-1', state: 'ringing', agent_id: 'agent1' }]);
  });
});
