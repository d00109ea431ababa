import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { REPORT_DIMENSIONS } from '../../shared/kpi.js';
import { openSqliteDatabase } from '../db/sqlite.js';
import { createReportRepository } from '../reports/reportRepository.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

const HOUR = 3_600_000;
/** 2024-11-08 09:00 in Beijing. */
const T = Date.UTC(2024, 10, 8, 1);

let db: Database.Database;
const database = useMigrationTestDatabase((opened) => (db = opened));

describe('migration 025 report rollup', () => {
  it('fills the rollup from the tickets already stored, so the reports read from it equal the per-ticket ones', async () => {
    migrateToBefore(db, 25);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES ('agent1', 'agent1', '王芳', 'agent', '[]', '[]', 1, 0, 'x', 0)",
    ).run();
    const insert = db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, created_at, updated_at, due_at,
                            first_response_at, completed_at, last_message_preview, last_message_at, routing)
       VALUES (?, 'CUS20241108001', ?, 'complaint', '投诉', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, '你好', ?, ?)`,
    );
    const routing = JSON.stringify({
      group: 'orders',
      language: 'zh',
      requiredTier: 1,
      escalation: null,
      pinnedAgentId: null,
      pinnedAgentName: null,
      offer: null,
    });
    // Completed on time with a survey answered; completed late; open and due before the report's moment; open on the next day.
    insert.run('GD20241108001', 'chat', 'completed', 'agent1', '王芳', T, T, T + 4 * HOUR, T + 60_000, T + HOUR, T, routing);
    insert.run('GD20241108002', 'email', 'completed', 'agent1', '王芳', T, T, T + 4 * HOUR, null, T + 6 * HOUR, T, null);
    insert.run('GD20241108003', 'chat', 'unassigned', null, null, T + HOUR, T + HOUR, T + 2 * HOUR, null, null, T + HOUR, routing);
    insert.run('GD20241109001', 'phone', 'in_progress', 'agent1', '王芳', T + 24 * HOUR, T + 24 * HOUR, T + 28 * HOUR, null, null, T + 24 * HOUR, null);
    db.prepare(
      "INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at) VALUES ('m1', 'GD20241108001', 'inbound', 'chat', 'x', 'x', 'received', ?)",
    ).run(T);
    db.prepare(
      `INSERT INTO csat_surveys (ticket_id, channel, status, created_at, sent_at, expires_at, attitude, speed, resolution, professionalism, answered_at)
       VALUES ('GD20241108001', 'chat', 'sent', ?, ?, ?, 5, 4, 5, 4, ?)`,
    ).run(T + HOUR, T + HOUR, T + 100 * HOUR, T + 50 * HOUR);

    applyMigration(db, 25);
    expect(db.prepare('SELECT COUNT(*) AS n FROM report_rollup_tickets').get()).toEqual({ n: 4 });
    expect(db.prepare('SELECT SUM(volume) AS volume, SUM(open_tickets) AS open, SUM(csat_points) AS points FROM report_rollup').get()).toEqual({
      volume: 4,
      open: 2,
      points: 18,
    });
    db.close();

    const sql = openSqliteDatabase({ filePath: database.filePath });
    try {
      const reports = createReportRepository(sql);
      for (const by of REPORT_DIMENSIONS) {
        for (const period of ['day', 'week', 'month'] as const) {
          const request = { period, date: '2024-11-08', by };
          // At 14:30 the open ticket due 12:00 is overdue, judged on the report's own day.
          for (const asOf of [T + 5.5 * HOUR, T + 48 * HOUR])
            expect(await reports.report(request, asOf)).toEqual(await reports.reportFromTickets(request, asOf));
        }
      }
      expect((await reports.report({ period: 'day', date: '2024-11-08', by: 'channel' }, T + 5.5 * HOUR)).total).toMatchObject({
        volume: 3,
        overdue: 2,
        slaMet: 1,
      });
    } finally {
      await sql.close();
    }
    database.reopen();
    expect(migrate(db, 25)).toEqual([]);
  });
});
