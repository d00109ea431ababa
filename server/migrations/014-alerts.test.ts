import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 014 alerts', () => {
  it('adds the alerts table whose (kind, subject, crossing) is unique, the channels’ backlog state, and an index of open tickets by due time', () => {
    migrateToBefore(db, 14);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'complaint', '投诉', 'urgent', 'unassigned', 1, 1, 7200001, '投诉', 1)`,
    ).run();

    applyMigration(db, 14);
    const raise = db.prepare(
      "INSERT INTO alerts (kind, subject, crossing, ticket_id, raised_at, facts_json) VALUES ('sla_warning', 'GD20241108001', '7200001', 'GD20241108001', 5, '{}') ON CONFLICT (kind, subject, crossing) DO NOTHING",
    );
    expect(raise.run().changes).toBe(1);
    // The second evaluator's insert of the same crossing is a no-op: the alarm fires once.
    expect(raise.run().changes).toBe(0);
    expect(db.prepare('SELECT id, acked_at, decision FROM alerts').all()).toEqual([{ id: 1, acked_at: null, decision: null }]);
    expect(() => db.prepare("UPDATE alerts SET decision = 'maybe'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE alerts SET acked_by = 'nobody'").run()).toThrow(/FOREIGN KEY/);

    db.prepare("INSERT INTO channel_alarms (channel, backlog_threshold) VALUES ('chat', 50)").run();
    expect(db.prepare("SELECT backlog_over, backlog_crossings FROM channel_alarms WHERE channel = 'chat'").get()).toEqual({
      backlog_over: 0,
      backlog_crossings: 0,
    });
    expect(queryPlan(db, "SELECT id FROM tickets WHERE status IN ('unassigned', 'in_progress', 'awaiting_customer') AND due_at <= 9")).toContain(
      'tickets_open_due',
    );
  });
});
