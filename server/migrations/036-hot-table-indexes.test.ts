import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { PENDING_OF_CHANNEL } from '../alarms/alertStore.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

const BACKLOG_COUNT_SQL = `SELECT COUNT(*) AS n FROM tickets t WHERE ${PENDING_OF_CHANNEL}`;
/** An agent's open tickets (adminStore.ts, a user's tickets handed back when they are disabled). */
const AGENT_OPEN_SQL = "SELECT id FROM tickets WHERE assignee_id = ? AND status IN ('unassigned', 'in_progress', 'awaiting_customer') ORDER BY id";

function indexesOf(table: string): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name").all(table) as Array<{ name: string }>).map(
    (row) => row.name,
  );
}
/** The ingest's open-ticket lookup for a returning customer (store.ts). */
const OPEN_TICKET_SQL =
  "SELECT id FROM tickets WHERE customer_id = ? AND channel = ? AND status IN ('unassigned', 'in_progress', 'awaiting_customer') ORDER BY created_at DESC, id DESC LIMIT 1";

describe('migration 036 hot table indexes', () => {
  it("drops the customers' field indexes and tickets_customer, and finds a channel's pending tickets in one index without reading their rows", () => {
    migrateToBefore(db, 36);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES ('u1', 'li', '李娜', 'agent', '[]', '[]', 1, 0, 'x', 1)",
    ).run();
    const insert = db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES (?, 'CUS20241108001', ?, 'consult', '咨询', 'normal', ?, ?, 1, 1, 700, '你好', 1)`,
    );
    insert.run('GD20241108001', 'chat', 'unassigned', null);
    insert.run('GD20241108002', 'chat', 'awaiting_customer', null); // handed back: open, held by nobody
    insert.run('GD20241108003', 'chat', 'completed', null);
    insert.run('GD20241108004', 'email', 'unassigned', null);
    insert.run('GD20241108005', 'chat', 'in_progress', 'u1'); // the newest open chat ticket (same created_at: the highest id)
    insert.run('GD20241108006', 'email', 'closed', 'u1');
    const before = indexesOf('tickets');
    expect(before).toEqual(expect.arrayContaining(['tickets_queue', 'tickets_customer', 'tickets_assignee']));
    expect(indexesOf('customers')).toEqual(['customers_email', 'customers_phone', 'customers_social_id', 'sqlite_autoindex_customers_1']);
    // Before: a seek of tickets_queue by channel and assignee, then each ticket's row for its status.
    expect(queryPlan(db, BACKLOG_COUNT_SQL, 'chat')).toMatch(/^SEARCH t USING INDEX tickets_(queue|assignee) /);

    applyMigration(db, 36);
    expect(indexesOf('tickets')).toEqual(before.filter((name) => name !== 'tickets_queue' && name !== 'tickets_customer'));
    expect(indexesOf('customers')).toEqual(['sqlite_autoindex_customers_1']);
    expect(queryPlan(db, OPEN_TICKET_SQL, 'CUS20241108001', 'chat')).toBe('SEARCH tickets USING INDEX tickets_customer_history (customer_id=?)');
    expect(db.prepare(OPEN_TICKET_SQL).get('CUS20241108001', 'chat')).toEqual({ id: 'GD20241108005' });
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'tickets_assignee'").get()).toEqual({
      sql: 'CREATE INDEX tickets_assignee ON tickets(assignee_id, status, channel)',
    });
    expect(queryPlan(db, BACKLOG_COUNT_SQL, 'chat')).toBe('SEARCH t USING COVERING INDEX tickets_assignee (assignee_id=? AND status=? AND channel=?)');
    expect(queryPlan(db, AGENT_OPEN_SQL, 'u1')).toMatch(/^SEARCH tickets USING (COVERING )?INDEX tickets_assignee \(assignee_id=\? AND status=\?\)/);
    expect(db.prepare(BACKLOG_COUNT_SQL).get('chat')).toEqual({ n: 2 });
    expect(db.prepare(BACKLOG_COUNT_SQL).get('email')).toEqual({ n: 1 });
    expect(db.prepare(AGENT_OPEN_SQL).all('u1')).toEqual([{ id: 'GD20241108005' }]);
    expect(migrate(db, 36)).toEqual([]);
  });
});
