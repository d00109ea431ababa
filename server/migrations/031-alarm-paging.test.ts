import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { ALERT_OPEN_WHERE, ESCALATION_WAITING_WHERE, REQUEUED_WAITING_WHERE } from './031-alarm-paging.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 031 alarm paging', () => {
  it('pages open alarms and waiting escalation requests through partial indexes, and dates the tickets already back in the queue', () => {
    migrateToBefore(db, 31);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES ('agent1', 'agent1', '王芳', 'agent', 'email', '[]', 1, 0, 'x', 1)",
    ).run();
    const ticket = db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES (?, 'CUS20241108001', 'email', 'inquiry', '退货', 'normal', ?, ?, 1, ?, 7200001, '你好', 1)`,
    );
    ticket.run('GD20241108001', 'unassigned', null, 900); // assigned once, then back in the queue (audited at 700)
    ticket.run('GD20241108002', 'unassigned', null, 800); // never assigned
    ticket.run('GD20241108003', 'in_progress', 'agent1', 600); // assigned now
    const audit = db.prepare("INSERT INTO routing_audit (ticket_id, at, decision, assignee_id, reason) VALUES (?, ?, ?, ?, '测试')");
    audit.run('GD20241108001', 500, 'assigned', 'agent1');
    audit.run('GD20241108001', 700, 'queued', null);
    audit.run('GD20241108003', 600, 'assigned', 'agent1');
    const alert = db.prepare("INSERT INTO alerts (kind, subject, crossing, raised_at, facts_json, acked_at, decision) VALUES (?, ?, '1', 1, '{}', ?, ?)");
    alert.run('sla_breach', 'a', null, null);
    alert.run('sla_breach', 'b', 5, null);
    alert.run('escalation_request', 'c', 5, null); // acknowledged, not decided: still open
    alert.run('escalation_request', 'd', 5, 'approved');
    // Before: the open ones are found by reading every alarm ever raised.
    expect(queryPlan(db, `SELECT id FROM alerts WHERE ${ALERT_OPEN_WHERE} ORDER BY id DESC LIMIT ?`, 10)).toMatch(/^SCAN alerts$/);

    applyMigration(db, 31);
    expect(db.prepare('SELECT id, requeued_at FROM tickets ORDER BY id').all()).toEqual([
      { id: 'GD20241108001', requeued_at: 700 },
      { id: 'GD20241108002', requeued_at: null },
      { id: 'GD20241108003', requeued_at: null },
    ]);
    expect(db.prepare(`SELECT subject FROM alerts WHERE ${ALERT_OPEN_WHERE} ORDER BY id DESC`).pluck().all()).toEqual(['c', 'a']);
    expect(queryPlan(db, `SELECT id FROM alerts WHERE ${ALERT_OPEN_WHERE} AND id < ? ORDER BY id DESC LIMIT ?`, 100, 10)).toMatch(
      /^SEARCH alerts USING (COVERING )?INDEX alerts_open \((id|rowid)<\?\)$/,
    );
    expect(queryPlan(db, `SELECT COUNT(*) FROM alerts WHERE ${ALERT_OPEN_WHERE}`)).toMatch(/USING (COVERING )?INDEX alerts_open/);
    expect(db.prepare(`SELECT subject FROM alerts WHERE ${ESCALATION_WAITING_WHERE}`).pluck().all()).toEqual(['c']);
    // SQLite's planner would take alerts_once (kind = ?) and sort: the store names the index (alertStore.ts).
    expect(
      queryPlan(
        db,
        `SELECT id FROM alerts INDEXED BY alerts_escalations_waiting WHERE ${ESCALATION_WAITING_WHERE} AND id < ? ORDER BY id DESC LIMIT ?`,
        100,
        10,
      ),
    ).toMatch(/^SEARCH alerts USING (COVERING )?INDEX alerts_escalations_waiting \((id|rowid)<\?\)$/);
    expect(
      db
        .prepare(`SELECT id FROM tickets INDEXED BY tickets_requeued_waiting WHERE ${REQUEUED_WAITING_WHERE} AND requeued_at <= ? ORDER BY requeued_at`)
        .pluck()
        .all(1000),
    ).toEqual(['GD20241108001']);
    expect(migrate(db, 31)).toEqual([]);
  });
});
