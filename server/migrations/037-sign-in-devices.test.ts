import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 037 sign-in devices', () => {
  it('makes the table of the workstations each user signed in from, empty, one row per user and device', () => {
    migrateToBefore(db, 37);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sign_in_devices'").get()).toBeUndefined();

    applyMigration(db, 37);
    expect(db.prepare('SELECT count(*) AS n FROM sign_in_devices').get()).toEqual({ n: 0 });
    db.prepare("INSERT INTO sign_in_devices (user_id, client_id, last_sign_in_at) VALUES ('agent1', 'ws-1', 1)").run();
    db.prepare("INSERT INTO sign_in_devices (user_id, client_id, last_sign_in_at) VALUES ('lead1', 'ws-1', 1)").run();
    expect(() => db.prepare("INSERT INTO sign_in_devices (user_id, client_id, last_sign_in_at) VALUES ('agent1', 'ws-1', 2)").run()).toThrow(/UNIQUE/);
    expect(migrate(db, 37)).toEqual([]);
  });
});
