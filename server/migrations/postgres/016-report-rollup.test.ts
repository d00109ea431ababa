/** PostgreSQL migration 016 on a real throwaway database: the report rollup is filled from the tickets already stored and reports read from it equal the per-ticket ones. */
import { describe, expect, it } from 'vitest';
import { REPORT_DIMENSIONS } from '../../../shared/kpi.js';
import type { PostgresDatabase } from '../../db/postgres.js';
import { createReportRepository } from '../../reports/reportRepository.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

const HOUR = 3_600_000;
/** 2024-11-08 09:00 in Beijing. */
const T = Date.UTC(2024, 10, 8, 1);

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_016', (opened) => (db = opened));

describe('PostgreSQL migration 016 report rollup', () => {
  it('applies after 015 and fills the rollup from the stored tickets', async () => {
    await migratePostgresToBefore(db, 16);
    await db.run("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)");
    await db.run(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES ('agent1', 'agent1', '王芳', 'agent', '[]', '[]', 1, 0, 'x', 0)",
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
    const insert = (values: Array<string | number | null>) =>
      db.run(
        `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, created_at, updated_at, due_at,
                              first_response_at, completed_at, last_message_preview, last_message_at, routing)
         VALUES (?, 'CUS20241108001', ?, 'complaint', '投诉', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, '你好', ?, ?)`,
        values,
      );
    await insert(['GD20241108001', 'chat', 'completed', 'agent1', '王芳', T, T, T + 4 * HOUR, T + 60_000, T + HOUR, T, routing]);
    await insert(['GD20241108002', 'email', 'completed', 'agent1', '王芳', T, T, T + 4 * HOUR, null, T + 6 * HOUR, T, null]);
    await insert(['GD20241108003', 'chat', 'unassigned', null, null, T + HOUR, T + HOUR, T + 2 * HOUR, null, null, T + HOUR, routing]);
    await insert(['GD20241109001', 'phone', 'in_progress', 'agent1', '王芳', T + 24 * HOUR, T + 24 * HOUR, T + 28 * HOUR, null, null, T + 24 * HOUR, null]);
    await db.run(
      "INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at) VALUES ('m1', 'GD20241108001', 'inbound', 'chat', 'x', 'x', 'received', ?)",
      [T],
    );
    await db.run(
      `INSERT INTO csat_surveys (ticket_id, channel, status, created_at, sent_at, expires_at, attitude, speed, resolution, professionalism, answered_at)
       VALUES ('GD20241108001', 'chat', 'sent', ?, ?, ?, 5, 4, 5, 4, ?)`,
      [T + HOUR, T + HOUR, T + 100 * HOUR, T + 50 * HOUR],
    );

    await applyPostgresMigration(db, 16);
    const sums = await db.get<Record<string, string>>('SELECT SUM(volume) AS volume, SUM(open_tickets) AS open, SUM(csat_points) AS points FROM report_rollup');
    expect([sums!.volume, sums!.open, sums!.points].map(Number)).toEqual([4, 2, 18]);
    const reports = createReportRepository(db);
    for (const by of REPORT_DIMENSIONS) {
      for (const period of ['day', 'week', 'month'] as const) {
        const request = { period, date: '2024-11-08', by };
        for (const asOf of [T + 5.5 * HOUR, T + 48 * HOUR]) expect(await reports.report(request, asOf)).toEqual(await reports.reportFromTickets(request, asOf));
      }
    }
    expect((await reports.report({ period: 'day', date: '2024-11-08', by: 'channel' }, T + 5.5 * HOUR)).total).toMatchObject({
      volume: 3,
      overdue: 2,
      slaMet: 1,
    });
    expect(await migratePostgres(db, 16)).toEqual([]);
  });
});
