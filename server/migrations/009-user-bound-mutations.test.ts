import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

function addUser(id: string): void {
  db.prepare(
    `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at, languages_json)
     VALUES (?, ?, ?, 'agent', '["chat"]', '[]', 1, 0, 'x', 1, '["zh"]')`,
  ).run(id, id, id);
}

function recordMutation(userId: string, clientId: string, mutationId: string, result: string): void {
  db.prepare('INSERT INTO applied_mutations (user_id, client_id, mutation_id, result, created_at) VALUES (?, ?, ?, ?, 1)').run(
    userId,
    clientId,
    mutationId,
    result,
  );
}

describe('migration 009 user-bound mutations', () => {
  it('keeps every applied mutation, keys them by user as well, and gives tokens a client id', () => {
    migrateToBefore(db, 9);
    addUser('agent1');
    addUser('agent2');
    recordMutation('agent1', 'ws-1', 'm-1', '{"mutationId":"m-1","ok":true,"seq":3}');
    recordMutation('agent1', 'ws-1', 'm-2', '{"mutationId":"m-2","ok":true,"seq":4}');
    // Before: the same pair for another user was impossible, which is what let one poison the other.
    expect(() => recordMutation('agent2', 'ws-1', 'm-1', '{}')).toThrow(/UNIQUE/);
    db.prepare("INSERT INTO tokens (token_hash, kind, user_id, name, created_at, expires_at) VALUES ('h1', 'user', 'agent1', 'sign-in', 1, 100)").run();

    applyMigration(db, 9);

    expect(db.prepare('SELECT user_id, client_id, mutation_id, result FROM applied_mutations ORDER BY mutation_id').all()).toEqual([
      { user_id: 'agent1', client_id: 'ws-1', mutation_id: 'm-1', result: '{"mutationId":"m-1","ok":true,"seq":3}' },
      { user_id: 'agent1', client_id: 'ws-1', mutation_id: 'm-2', result: '{"mutationId":"m-2","ok":true,"seq":4}' },
    ]);
    // Another user may now use the same pair; the same user still may not.
    recordMutation('agent2', 'ws-1', 'm-1', '{"mutationId":"m-1","ok":true,"seq":9}');
    expect(() => recordMutation('agent1', 'ws-1', 'm-1', '{}')).toThrow(/UNIQUE/);

    expect(db.prepare('SELECT token_hash, client_id FROM tokens').all()).toEqual([{ token_hash: 'h1', client_id: null }]);
    db.prepare("UPDATE tokens SET client_id = 'ws-1' WHERE token_hash = 'h1'").run();
    expect(db.prepare('SELECT client_id FROM tokens').get()).toEqual({ client_id: 'ws-1' });
  });
});
