/**
 * The report repository on BOTH backends with the same cases: a real SQLite file (schema by
 * the numbered migrations) and a real PostgreSQL database (schema by its baseline), made and
 * dropped by this file. The expected KPIs are worked out by hand beside each case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_DIMENSIONS, REPORT_PERIODS, computeKpis, groupKpis, periodRange } from '../../shared/kpi.js';
import { fixedReportKeys, reportSchema } from '../../shared/reports.js';
import type { SqlDatabase } from '../db/sql.js';
import { migratedBackends } from '../testing/migratedDatabases.js';
import { createReportRepository } from './reportRepository.js';
import { refreshTicketRollup } from './reportRollup.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Friday 2024-11-08, 09:00 in Beijing. */
const T = Date.UTC(2024, 10, 8, 1);
/** 2024-11-08 00:00 in Beijing. */
const MIDNIGHT = Date.UTC(2024, 10, 7, 16);
const AS_OF = T + 10 * HOUR;

interface TicketSpec {
  id: string;
  channel: string;
  type: string;
  status: string;
  createdAt: number;
  dueAt?: number;
  assigneeId?: string | null;
  assigneeName?: string | null;
  firstResponseAt?: number | null;
  completedAt?: number | null;
  /** The `routing` column as stored: JSON text, or null for a ticket from before routing. */
  routing?: string | null;
  /** Customer messages' times. */
  inbound?: number[];
}

async function seed(db: SqlDatabase): Promise<void> {
  for (const [id, name] of [
    ['agent1', '王芳'],
    ['agent2', '张强'],
  ]) {
    await db.run(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES (?, ?, ?, 'agent', '[]', '[]', 1, 0, 'x', 0)`,
      [id!, id!, name!],
    );
  }
  await db.run(`INSERT INTO customers (id, name, created_at) VALUES ('CUS20241101001', '张伟', 0)`);
  const group = (name: string) =>
    JSON.stringify({ group: name, language: 'zh', requiredTier: 1, escalation: null, pinnedAgentId: null, pinnedAgentName: null, offer: null });
  const tickets: TicketSpec[] = [
    // A: chat consult (orders), agent1: replied after 2 min, completed after 60 min, the customer wrote once → on time, first contact.
    {
      id: 'GD20241108001',
      channel: 'chat',
      type: 'consult',
      status: 'completed',
      createdAt: T,
      assigneeId: 'agent1',
      firstResponseAt: T + 2 * MIN,
      completedAt: T + HOUR,
      routing: group('orders'),
      inbound: [T],
    },
    // B: chat complaint (after-sales), agent1: replied after 10 min, the customer wrote again at 20 min, completed after 5 h → overdue, not first contact.
    {
      id: 'GD20241108002',
      channel: 'chat',
      type: 'complaint',
      status: 'completed',
      createdAt: T,
      assigneeId: 'agent1',
      firstResponseAt: T + 10 * MIN,
      completedAt: T + 5 * HOUR,
      routing: group('after_sales'),
      inbound: [T, T + 20 * MIN],
    },
    // C: a phone call handled without a written reply, completed after 20 min, one call; no routing facts → no group.
    {
      id: 'GD20241108003',
      channel: 'phone',
      type: 'after_sales',
      status: 'completed',
      createdAt: T + HOUR,
      assigneeId: 'agent2',
      completedAt: T + HOUR + 20 * MIN,
      routing: null,
      inbound: [T + HOUR],
    },
    // D: email, queued since 11:00, due 15:00, still open at 19:00 → overdue; its group is one routing does not know → no group.
    {
      id: 'GD20241108004',
      channel: 'email',
      type: 'consult',
      status: 'unassigned',
      createdAt: T + 2 * HOUR,
      assigneeId: null,
      routing: group('english'),
      inbound: [T + 2 * HOUR],
    },
    // E: email at local midnight exactly (in the day), low priority (due +24 h), replied after 30 min, open → not judged yet.
    {
      id: 'GD20241108005',
      channel: 'email',
      type: 'other',
      status: 'in_progress',
      createdAt: MIDNIGHT,
      dueAt: MIDNIGHT + 24 * HOUR,
      assigneeId: 'agent2',
      firstResponseAt: MIDNIGHT + 30 * MIN,
      routing: group('billing'),
      inbound: [MIDNIGHT],
    },
    // F: 1 ms before local midnight: Thursday 2024-11-07 (same week and month, not the day).
    { id: 'GD20241107099', channel: 'chat', type: 'consult', status: 'unassigned', createdAt: MIDNIGHT - 1 },
    // G: Saturday 2024-11-09 00:00 local (same week and month, not the day).
    { id: 'GD20241109001', channel: 'chat', type: 'consult', status: 'unassigned', createdAt: MIDNIGHT + 24 * HOUR },
    // H: Friday 2024-11-01 00:00 local: the month, not the week of 2024-11-04.
    { id: 'GD20241101001', channel: 'social', type: 'consult', status: 'unassigned', createdAt: Date.UTC(2024, 9, 31, 16) },
    // I: 2024-10-31 23:59:59.999 local: October, in no report of November.
    { id: 'GD20241031099', channel: 'social', type: 'consult', status: 'unassigned', createdAt: Date.UTC(2024, 9, 31, 16) - 1 },
  ];
  let message = 0;
  for (const t of tickets) {
    await db.run(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, created_at, updated_at,
                            first_response_at, due_at, completed_at, last_message_preview, last_message_at, routing)
       VALUES (?, 'CUS20241101001', ?, ?, '主题', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)`,
      [
        t.id,
        t.channel,
        t.type,
        t.status,
        t.assigneeId ?? null,
        // The name written on the ticket at assignment; the report shows the user's current one.
        t.assigneeId ? `${t.assigneeId}（旧名）` : null,
        t.createdAt,
        t.createdAt,
        t.firstResponseAt ?? null,
        t.dueAt ?? t.createdAt + 4 * HOUR,
        t.completedAt ?? null,
        t.createdAt,
        t.routing ?? null,
      ],
    );
    const addMessage = (direction: 'inbound' | 'outbound', at: number) =>
      db.run(
        `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at) VALUES (?, ?, ?, ?, 'x', 'x', 'received', ?)`,
        [`m${String(++message)}`, t.id, direction, t.channel, at],
      );
    for (const at of t.inbound ?? []) await addMessage('inbound', at);
    if (t.firstResponseAt) await addMessage('outbound', t.firstResponseAt);
    // Written around the store: bring the rollup up to date as the store's writes do.
    await refreshTicketRollup(db, t.id);
  }
}

for (const backend of migratedBackends('reports')) {
  describe(`reports on ${backend.name}`, () => {
    let db: SqlDatabase;
    beforeAll(async () => {
      db = await backend.open();
      await seed(db);
    });
    afterAll(async () => {
      await db?.close();
      await backend.cleanup();
    });

    it('computes the day’s KPIs from the tickets created between local midnights', async () => {
      const report = await createReportRepository(db).report({ period: 'day', date: '2024-11-08', by: 'channel' }, AS_OF);
      expect(reportSchema.parse(report)).toEqual(report);
      expect(report).toMatchObject({ firstDay: '2024-11-08', lastDay: '2024-11-08', start: MIDNIGHT, end: MIDNIGHT + 24 * HOUR, asOf: AS_OF });
      // A–E; F is a millisecond early, G a day late.
      expect(report.total).toEqual({
        volume: 5,
        // Replies: A 2 min, B 10 min, E 30 min → 42 / 3 = 14 min.
        responded: 3,
        avgFirstResponseMs: 14 * MIN,
        // Resolved: A 60, B 300, C 20 min → 380 / 3 min = 7,600,000 ms.
        resolved: 3,
        avgHandlingMs: 7_600_000,
        // Overdue: B (late), D (open past 15:00) → 2 / 5; met A, C → 2 / (2 + 2).
        slaJudged: 4,
        slaMet: 2,
        slaCompliance: 0.5,
        overdue: 2,
        overdueRate: 0.4,
        // A (no message after the reply) and C (one call, no reply) of A, B, C.
        firstContactResolved: 2,
        firstContactResolution: 2 / 3,
        csatAverage: null,
        csatResponseRate: null,
      });
      expect(report.rows.map((row) => [row.key, row.kpis.volume, row.kpis.overdue])).toEqual([
        ['phone', 1, 0],
        ['chat', 2, 1],
        ['social', 0, 0],
        ['email', 2, 1],
      ]);
    });

    it('groups by agent (current names, unassigned last), by group and by type', async () => {
      const repository = createReportRepository(db);
      const byAgent = await repository.report({ period: 'day', date: '2024-11-08', by: 'agent' }, AS_OF);
      expect(byAgent.rows.map((row) => [row.key, row.name, row.kpis.volume])).toEqual([
        ['agent1', '王芳', 2],
        ['agent2', '张强', 2],
        [null, null, 1],
      ]);
      // agent1: A met, B overdue → 50 %; A of A, B first contact.
      expect(byAgent.rows[0]!.kpis).toMatchObject({ slaCompliance: 0.5, firstContactResolution: 0.5, avgHandlingMs: 180 * MIN });
      const byGroup = await repository.report({ period: 'day', date: '2024-11-08', by: 'group' }, AS_OF);
      expect(byGroup.rows.map((row) => [row.key, row.kpis.volume])).toEqual([
        ['orders', 1],
        ['after_sales', 1],
        ['technical', 0],
        ['billing', 1],
        // C (no routing facts) and D (a group routing does not know).
        [null, 2],
      ]);
      const byType = await repository.report({ period: 'day', date: '2024-11-08', by: 'type' }, AS_OF);
      expect(byType.rows.map((row) => [row.key, row.kpis.volume])).toEqual([
        ['consult', 2],
        ['complaint', 1],
        ['suggestion', 0],
        ['after_sales', 1],
        ['other', 1],
      ]);
    });

    it('takes weeks from Monday and whole months, in China local time', async () => {
      const repository = createReportRepository(db);
      // Week of Mon 2024-11-04: A–E, F (Thu), G (Sat) = 7.
      const week = await repository.report({ period: 'week', date: '2024-11-10', by: 'channel' }, AS_OF);
      expect([week.firstDay, week.lastDay, week.total.volume]).toEqual(['2024-11-04', '2024-11-10', 7]);
      // November: the week's 7 and H (Nov 1 00:00) = 8; I (Oct 31 23:59:59.999) is October's.
      const month = await repository.report({ period: 'month', date: '2024-11-30', by: 'channel' }, AS_OF);
      expect([month.firstDay, month.lastDay, month.total.volume]).toEqual(['2024-11-01', '2024-11-30', 8]);
      const october = await repository.report({ period: 'month', date: '2024-10-01', by: 'channel' }, AS_OF);
      expect(october.total.volume).toBe(1);
      // A day with nothing: zero rows, no made-up averages.
      const quiet = await repository.report({ period: 'day', date: '2024-11-20', by: 'agent' }, AS_OF);
      expect(quiet.rows).toEqual([]);
      expect(quiet.total).toMatchObject({ volume: 0, avgFirstResponseMs: null, overdueRate: null, slaCompliance: null });
    });

    it('adds up in SQL exactly what shared/kpi.ts computes from the facts, for every period and grouping', async () => {
      const repository = createReportRepository(db);
      for (const period of REPORT_PERIODS) {
        const facts = await repository.ticketFacts(periodRange(period, '2024-11-08'));
        for (const by of REPORT_DIMENSIONS) {
          const report = await repository.report({ period, date: '2024-11-08', by }, AS_OF);
          expect(report.total, `${period} by ${by}`).toEqual(computeKpis(facts, AS_OF));
          expect(report.rows, `${period} by ${by}`).toEqual(groupKpis(facts, by, AS_OF, fixedReportKeys(by)));
          expect(await repository.reportFromTickets({ period, date: '2024-11-08', by }, AS_OF), `${period} by ${by}`).toEqual(report);
        }
      }
    });

    it('refuses to report over a ticket row no schema allows, rather than guess', async () => {
      await db.run(
        `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
         VALUES ('GD20241120001', 'CUS20241101001', 'fax', 'consult', 's', 'normal', 'unassigned', ?, ?, ?, '', ?)`,
        [Date.UTC(2024, 10, 20, 2), Date.UTC(2024, 10, 20, 2), Date.UTC(2024, 10, 20, 6), Date.UTC(2024, 10, 20, 2)],
      );
      await refreshTicketRollup(db, 'GD20241120001');
      await expect(createReportRepository(db).report({ period: 'day', date: '2024-11-20', by: 'channel' }, AS_OF)).rejects.toThrow(/unknown channel/);
    });
  });
}
