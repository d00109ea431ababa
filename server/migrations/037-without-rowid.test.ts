import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { WITHOUT_ROWID_TABLES } from './037-without-rowid.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

function rowsOf(table: string): unknown[] {
  return db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all();
}
function indexSqlOf(table: string): unknown[] {
  return db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name").all(table);
}
function columnsOf(table: string): unknown[] {
  return db.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`).all(table);
}
function withoutRowid(table: string): boolean {
  // A WITHOUT ROWID table has no rowid to select.
  try {
    db.prepare(`SELECT rowid FROM ${table}`).all();
    return false;
  } catch (error) {
    if (!/no such column: rowid/.test(String(error))) throw error;
    return /WITHOUT ROWID$/.test((db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string }).sql);
  }
}

function seed(): void {
  db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1), ('CUS20241108002', 'Li Na', 2)").run();
  db.prepare(
    `INSERT INTO customer_identities (kind, value, customer_id, created_at) VALUES
       ('phone', '+8613800138000', 'CUS20241108001', 10), ('email', 'zhang.wei@example.cn', 'CUS20241108001', 11),
       ('social', 'wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M', 'CUS20241108002', 12)`,
  ).run();
  db.prepare(
    `INSERT INTO customer_claims (customer_id, kind, value, source, created_at) VALUES
       ('CUS20241108001', 'phone', '+8613800138000', 'api', 10), ('CUS20241108002', 'phone', '+8613800138000', 'webchat:shop', 13)`,
  ).run();
  db.prepare("INSERT INTO changes (seq, kind, body, created_at) VALUES (1, 'ticket', '{}', 1), (2, 'ticket', '{}', 2)").run();
  db.prepare("INSERT INTO change_audience (seq, principal) VALUES (1, 'user:u1'), (1, 'channel:chat'), (2, 'user:u1')").run();
  db.prepare("INSERT INTO id_counters (scope, day, last_value) VALUES ('ticket', '20241108', 7), ('customer', '20241108', 2)").run();
  const rollupColumns = (db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all('report_rollup_tickets') as Array<{ name: string }>).map(
    (column) => column.name,
  );
  const value = (column: string, ticket: string): string | number => {
    if (column === 'ticket_id') return ticket;
    if (['channel', 'type', 'ticket_group', 'assignee_id', 'assignee_name'].includes(column)) return `${column}-${ticket}`;
    return ticket.length + column.length;
  };
  const insertRollup = db.prepare(`INSERT INTO report_rollup_tickets (${rollupColumns.join(', ')}) VALUES (${rollupColumns.map(() => '?').join(', ')})`);
  for (const ticket of ['GD20241108001', 'GD20241108002']) insertRollup.run(...rollupColumns.map((column) => value(column, ticket)));
}

describe('migration 037 without rowid', () => {
  it('rebuilds the keyed tables a contact writes as WITHOUT ROWID, keeping their rows, columns, indexes and constraints', () => {
    migrateToBefore(db, 37);
    seed();
    const before = Object.fromEntries(
      WITHOUT_ROWID_TABLES.map((table) => [table, { rows: rowsOf(table), indexes: indexSqlOf(table), columns: columnsOf(table) }]),
    );
    for (const table of WITHOUT_ROWID_TABLES) expect(withoutRowid(table)).toBe(false);

    applyMigration(db, 37);
    for (const table of WITHOUT_ROWID_TABLES) {
      expect(withoutRowid(table), table).toBe(true);
      // A WITHOUT ROWID table's key is NOT NULL, as SQL has it (a rowid table let report_rollup_tickets.ticket_id be NULL); nothing else changes.
      const expected = {
        ...before[table]!,
        columns: (before[table]!.columns as Array<{ pk: number }>).map((column) => (column.pk ? { ...column, notnull: 1 } : column)),
      };
      expect({ rows: rowsOf(table), indexes: indexSqlOf(table), columns: columnsOf(table) }, table).toEqual(expected);
    }
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });

    // Constraints kept: primary keys, CHECKs, references, NOT NULL.
    expect(() =>
      db.prepare("INSERT INTO customer_identities (kind, value, customer_id, created_at) VALUES ('phone', '+8613800138000', 'CUS20241108002', 20)").run(),
    ).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() =>
      db.prepare("INSERT INTO customer_identities (kind, value, customer_id, created_at) VALUES ('fax', '010-1', 'CUS20241108001', 20)").run(),
    ).toThrow(/CHECK/);
    expect(() =>
      db.prepare("INSERT INTO customer_identities (kind, value, customer_id, created_at) VALUES ('email', 'x@example.cn', 'CUS404', 20)").run(),
    ).toThrow(/FOREIGN KEY/);
    expect(() =>
      db
        .prepare("INSERT INTO customer_claims (customer_id, kind, value, source, created_at) VALUES ('CUS20241108001', 'phone', '+8613800138000', 'api', 30)")
        .run(),
    ).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() =>
      db.prepare("INSERT INTO customer_claims (customer_id, kind, value, source, created_at) VALUES ('CUS20241108001', 'email', 'a@b.cn', NULL, 30)").run(),
    ).toThrow(/NOT NULL/);
    expect(() => db.prepare("INSERT INTO change_audience (seq, principal) VALUES (1, 'user:u1')").run()).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => db.prepare("INSERT INTO change_audience (seq, principal) VALUES (99, 'user:u1')").run()).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("INSERT INTO id_counters (scope, day, last_value) VALUES ('ticket', '20241108', 8)").run()).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => db.prepare("UPDATE report_rollup_tickets SET ticket_id = NULL WHERE ticket_id = 'GD20241108001'").run()).toThrow(/NOT NULL/);

    // The look-ups a contact makes are seeks of the primary key itself, and the secondary indexes still serve theirs.
    expect(queryPlan(db, 'SELECT customer_id FROM customer_identities WHERE kind = ? AND value = ?', 'phone', '+8613800138000')).toBe(
      'SEARCH customer_identities USING PRIMARY KEY (kind=? AND value=?)',
    );
    expect(db.prepare('SELECT customer_id FROM customer_identities WHERE kind = ? AND value = ?').get('phone', '+8613800138000')).toEqual({
      customer_id: 'CUS20241108001',
    });
    expect(queryPlan(db, 'SELECT kind, value FROM customer_identities WHERE customer_id = ?', 'CUS20241108001')).toMatch(
      /^SEARCH customer_identities USING (COVERING )?INDEX customer_identities_customer \(customer_id=\?\)/,
    );
    expect(queryPlan(db, 'SELECT customer_id FROM customer_claims WHERE kind = ? AND value = ?', 'phone', '+8613800138000')).toMatch(
      /^SEARCH customer_claims USING (COVERING )?INDEX customer_claims_value \(kind=\? AND value=\?\)/,
    );
    expect(db.prepare('SELECT customer_id FROM customer_claims WHERE kind = ? AND value = ? ORDER BY customer_id').all('phone', '+8613800138000')).toEqual([
      { customer_id: 'CUS20241108001' },
      { customer_id: 'CUS20241108002' },
    ]);
    expect(queryPlan(db, 'SELECT seq FROM change_audience WHERE principal = ? AND seq > ? ORDER BY seq', 'user:u1', 0)).toBe(
      'SEARCH change_audience USING PRIMARY KEY (principal=? AND seq>?)',
    );
    expect(db.prepare("SELECT last_value FROM id_counters WHERE scope = 'ticket' AND day = '20241108'").get()).toEqual({ last_value: 7 });
    expect(migrate(db, 37)).toEqual([]);
  });
});
