import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 026-notes-by-ticket-order', () => {
  let db: Database.Database;
  const file = useCacheMigrationTestDatabase((opened) => (db = opened));
  const insert = (id: string, ticketId: string, createdAt: number, pending = 0, text = `备注 ${id}`) =>
    db
      .prepare("INSERT INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending) VALUES (?, ?, 'agent1', '王芳', ?, ?, ?)")
      .run(id, ticketId, text, createdAt, pending);
  const notesOf = (ticketId: string) => db.prepare('SELECT * FROM notes WHERE ticket_id = ? ORDER BY created_at, id').all(ticketId);
  const plan = (sql: string) =>
    db
      .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all()
      .map((step) => step.detail)
      .join(' | ');
  const long = '客户来电催促物流，已记录。'.repeat(120);

  beforeEach(() => {
    migrateCacheToBefore(db, 26);
    // Written by the schema before this step (022's table keyed by id, with notes_by_ticket), the file closed and opened again as an upgrade does.
    insert('0190a1b2-0000-7000-8000-000000000002', 'GD20240501001', 2_000);
    insert('9f0c7a52-3d1e-4f7a-9b1e-5c2d8e7f6a10', 'GD20240501001', 1_000, 1);
    insert('1b2c3d4e-0000-4000-8000-000000000003', 'GD20240501001', 2_000, 1);
    insert('n3', 'GD20240501002', 1_500, 0, long);
    insert('n4', 'TMP-0190a1b2-000000000001', 3_000, 1);
    file.reopen();
  });

  it('keeps every note of a cache written by the old schema, in the pane order, with the same columns', () => {
    const tickets = ['GD20240501001', 'GD20240501002', 'TMP-0190a1b2-000000000001'];
    const before = tickets.map(notesOf);
    const all = db.prepare('SELECT * FROM notes ORDER BY id').all();
    applyCacheMigration(db, 26);
    expect(tickets.map(notesOf)).toEqual(before);
    expect(db.prepare('SELECT * FROM notes ORDER BY id').all()).toEqual(all);
    expect(db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').pluck().all('notes')).toEqual([
      'id',
      'ticket_id',
      'author_id',
      'author_name',
      'text',
      'created_at',
      'pending',
    ]);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'notes'").pluck().get()).toMatch(/WITHOUT ROWID/i);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notes' ORDER BY name").pluck().all()).toEqual(['notes_id']);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'notes' AND rootpage > 0").pluck().get()).toBe(2);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    file.reopen();
    expect(tickets.map(notesOf)).toEqual(before);
  });

  it('serves every read of notes by an index: by ticket from the table itself, by id from notes_id', () => {
    applyCacheMigration(db, 26);
    // A ticket's notes in the pane's order: read off the primary key, no sort, no look-up from a second tree.
    const byTicket = plan("SELECT * FROM notes WHERE ticket_id = 'GD20240501001' ORDER BY created_at, id");
    expect(byTicket).toMatch(/SEARCH notes USING PRIMARY KEY \(ticket_id=\?\)/);
    expect(byTicket).not.toMatch(/TEMP B-TREE/);
    expect(plan("SELECT * FROM notes WHERE id = 'n1'")).toMatch(/SEARCH notes USING INDEX notes_id \(id=\?\)/);
    expect(plan("SELECT created_at FROM notes WHERE id = 'n1' AND ticket_id = 'GD20240501001'")).toMatch(
      /USING (COVERING )?INDEX notes_id \(id=\?\)|PRIMARY KEY \(ticket_id=\?/,
    );
    // The action-id look-up (cache.ts actionIdInUse): the id index alone.
    expect(plan("SELECT EXISTS (SELECT 1 FROM notes WHERE id = 'n1')")).toMatch(/SEARCH notes USING COVERING INDEX notes_id \(id=\?\)/);
    // What a new mutation follows (cache.ts newestEntry's notes side).
    const newest = plan(
      "SELECT id, created_at FROM notes WHERE ticket_id = 'GD20240501001' AND created_at = (SELECT max(created_at) FROM notes WHERE ticket_id = 'GD20240501001') ORDER BY id LIMIT 1",
    );
    expect(newest).not.toMatch(/SCAN notes/);
    expect(newest).not.toMatch(/TEMP B-TREE/);
    for (const sql of [
      "UPDATE notes SET ticket_id = 'GD20240501009' WHERE ticket_id = 'TMP-0190a1b2-000000000001'",
      "DELETE FROM notes WHERE ticket_id = 'GD20240501001'",
      "UPDATE notes SET pending = 0 WHERE id = 'n1'",
      "DELETE FROM notes WHERE id = 'n1' AND pending = 1",
    ]) {
      expect(plan(sql)).not.toMatch(/SCAN notes/);
    }
  });

  it('still refuses a note id twice, on any ticket, and takes a known one with INSERT OR IGNORE and ON CONFLICT (id)', () => {
    applyCacheMigration(db, 26);
    expect(() => insert('n3', 'GD20240501002', 1_500)).toThrow(/UNIQUE/);
    expect(() => insert('n3', 'GD20240501001', 9_000)).toThrow(/UNIQUE/);
    db.prepare(
      "INSERT OR IGNORE INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending) VALUES ('n4', 'GD20240501001', 'a', 'b', 'c', 1, 0)",
    ).run();
    expect(db.prepare("SELECT ticket_id, pending FROM notes WHERE id = 'n4'").get()).toEqual({ ticket_id: 'TMP-0190a1b2-000000000001', pending: 1 });
    // The server's copy of a note the cache holds under a provisional ticket (cache.ts upsertNote): moved to its ticket and time, still one row.
    db.prepare(
      `INSERT INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending) VALUES ('n4', 'GD20240501009', 'agent1', '王芳', '备注 n4', 3_500, 0)
       ON CONFLICT (id) DO UPDATE SET ticket_id = excluded.ticket_id, created_at = excluded.created_at, pending = 0`,
    ).run();
    expect(notesOf('TMP-0190a1b2-000000000001')).toEqual([]);
    expect(notesOf('GD20240501009')).toEqual([
      { id: 'n4', ticket_id: 'GD20240501009', author_id: 'agent1', author_name: '王芳', text: '备注 n4', created_at: 3_500, pending: 0 },
    ]);
    expect(db.prepare("SELECT count(*) FROM notes WHERE id = 'n4'").pluck().get()).toBe(1);
    insert('n5', 'GD20240501001', 1_000, 1);
    expect(notesOf('GD20240501001').map((row) => (row as { id: string }).id)).toEqual([
      '9f0c7a52-3d1e-4f7a-9b1e-5c2d8e7f6a10',
      'n5',
      '0190a1b2-0000-7000-8000-000000000002',
      '1b2c3d4e-0000-4000-8000-000000000003',
    ]);
  });
});
