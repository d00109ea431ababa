import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 022-notes-without-rowid', () => {
  let db: Database.Database;
  const insert = (id: string, ticketId: string, createdAt: number, pending = 0) =>
    db
      .prepare("INSERT INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending) VALUES (?, ?, 'agent1', '王芳', ?, ?, ?)")
      .run(id, ticketId, `备注 ${id}`, createdAt, pending);
  const notesOf = (ticketId: string) => db.prepare('SELECT * FROM notes WHERE ticket_id = ? ORDER BY created_at, id').all(ticketId);
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 22);
    insert('n2', 'GD20240501001', 2_000);
    insert('n1', 'GD20240501001', 1_000, 1);
    insert('n3', 'GD20240501002', 1_500);
  });

  it('keeps every note with its columns, and keys the table by id with no separate id index', () => {
    const before = { first: notesOf('GD20240501001'), second: notesOf('GD20240501002') };
    applyCacheMigration(db, 22);
    expect({ first: notesOf('GD20240501001'), second: notesOf('GD20240501002') }).toEqual(before);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'notes'").pluck().get()).toMatch(/WITHOUT ROWID/i);
    // The primary key is the table itself: no index of its own beside notes_by_ticket.
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notes' ORDER BY name").pluck().all()).toEqual(['notes_by_ticket']);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'notes' AND rootpage > 0").pluck().get()).toBe(2);
    const plan = (sql: string) =>
      db
        .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((step) => step.detail)
        .join(' ');
    expect(plan("SELECT * FROM notes WHERE ticket_id = 'GD20240501001' ORDER BY created_at, id")).toContain('notes_by_ticket');
    expect(plan("SELECT * FROM notes WHERE id = 'n1'")).toContain('PRIMARY KEY');
  });

  it('refuses a note id twice and still takes a known one with INSERT OR IGNORE', () => {
    migrateCache(db, undefined, 22);
    expect(() => insert('n1', 'GD20240501001', 3_000)).toThrow(/UNIQUE/);
    db.prepare(
      "INSERT OR IGNORE INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending) VALUES ('n1', 'GD20240501001', 'a', 'b', 'c', 1, 0)",
    ).run();
    expect(db.prepare("SELECT pending FROM notes WHERE id = 'n1'").pluck().get()).toBe(1);
    insert('n4', 'GD20240501001', 3_000, 1);
    expect(notesOf('GD20240501001').map((row) => (row as { id: string }).id)).toEqual(['n1', 'n2', 'n4']);
  });
});
