import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, appliedVersions, migrate } from './index.js';
import { useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

function tableNames(): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

describe('migration 001 initial', () => {
  it('creates the tables, the change-log state row and records itself', () => {
    expect(migrate(db, 1)).toEqual([1]);
    expect(tableNames()).toEqual(
      expect.arrayContaining([
        'users',
        'tokens',
        'customers',
        'tickets',
        'messages',
        'notes',
        'changes',
        'change_audience',
        'change_log_state',
        'applied_mutations',
        'id_counters',
      ]),
    );
    expect(db.prepare('SELECT last_seq, first_retained_seq FROM change_log_state').all()).toEqual([{ last_seq: 0, first_retained_seq: 1 }]);
    expect(appliedVersions(db)).toEqual([1]);
    expect(migrate(db, 1)).toEqual([]);
  });

  it('enforces the keys the protocol relies on', () => {
    migrate(db, 1);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'consult', '订单物流查询延迟', 'normal', 'unassigned', 1, 1, 2, '你好', 1)`,
    ).run();
    const insertMessage = db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, external_message_id, delivery_status, created_at)
       VALUES (?, 'GD20241108001', 'inbound', 'chat', '张伟', '你好', ?, 'received', 1)`,
    );
    insertMessage.run('m1', 'wx-1');
    expect(() => insertMessage.run('m2', 'wx-1')).toThrow(/UNIQUE/);
    insertMessage.run('m3', null);
    insertMessage.run('m4', null);
    expect(() =>
      db
        .prepare(
          "INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at) VALUES ('m5', 'GD20990101001', 'inbound', 'chat', 'x', 'y', 'received', 1)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);

    const insertApplied = db.prepare(
      "INSERT INTO applied_mutations (client_id, mutation_id, user_id, result, created_at) VALUES ('c1', 'mut-1', 'agent1', '{}', 1)",
    );
    insertApplied.run();
    expect(() => insertApplied.run()).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => db.prepare('INSERT INTO change_log_state (id, last_seq, first_retained_seq) VALUES (2, 0, 1)').run()).toThrow(/CHECK/);
  });

  it('refuses a database newer than the code', () => {
    migrate(db);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from-the-future', 1)").run(
      Math.max(...MIGRATIONS.map((m) => m.version)) + 1,
    );
    expect(() => migrate(db)).toThrow(/newer than this server knows/);
  });
});
