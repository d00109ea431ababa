/**
 * Reports and the Board's charts in the organisation's time zone (policies `timeZone`) on BOTH
 * backends, a real SQLite file and a real PostgreSQL database: tickets near midnight that are
 * on different days in Europe/Berlin and Asia/Shanghai, and Berlin's 25-hour autumn day
 * (2025-10-26: 03:00 CEST → 02:00 CET at 01:00 UTC). Every expectation is worked out beside
 * its ticket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardChartsSchema } from '../../shared/charts.js';
import { REPORT_DIMENSIONS, REPORT_PERIODS, computeKpis, groupKpis, periodRange } from '../../shared/kpi.js';
import { fixedReportKeys, reportSchema } from '../../shared/reports.js';
import type { SqlDatabase } from '../db/sql.js';
import { migratedBackends } from '../testing/migratedDatabases.js';
import { createReportRepository } from './reportRepository.js';
import { rebuildReportRollup } from './reportRollup.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BERLIN = 'Europe/Berlin';
const SHANGHAI = 'Asia/Shanghai';

interface TicketSpec {
  channel: string;
  createdAt: number;
  dueAt?: number;
  completedAt?: number;
}

const TICKETS: TicketSpec[] = [
  // 2024-11-07 22:30 UTC: 23:30 on 11-07 in Berlin (UTC+1), 06:30 on 11-08 in Shanghai.
  { channel: 'chat', createdAt: Date.UTC(2024, 10, 7, 22, 30) },
  // 23:30 UTC: 00:30 on 11-08 in Berlin, 07:30 on 11-08 in Shanghai.
  { channel: 'chat', createdAt: Date.UTC(2024, 10, 7, 23, 30) },
  // 15:30 UTC: 16:30 on 11-07 in Berlin, 23:30 on 11-07 in Shanghai.
  { channel: 'email', createdAt: Date.UTC(2024, 10, 7, 15, 30) },
  // 16:30 UTC: 17:30 on 11-07 in Berlin, 00:30 on 11-08 in Shanghai.
  { channel: 'email', createdAt: Date.UTC(2024, 10, 7, 16, 30) },
  // Berlin's 25-hour day 2025-10-26 starts at 22:00 UTC on 10-25 (00:00 CEST; 06:00 on 10-26 in Shanghai): Berlin hour 0.
  { channel: 'phone', createdAt: Date.UTC(2025, 9, 25, 22) },
  // 00:30 UTC is 02:30 CEST, 01:30 UTC is 02:30 CET: both Berlin hour 2; Shanghai 08:30 and 09:30.
  { channel: 'phone', createdAt: Date.UTC(2025, 9, 26, 0, 30) },
  { channel: 'phone', createdAt: Date.UTC(2025, 9, 26, 1, 30) },
  // 22:30 UTC is 23:30 CET, still 10-26 in Berlin (its day ends at 23:00 UTC); 06:30 on 10-27 in Shanghai.
  { channel: 'social', createdAt: Date.UTC(2025, 9, 26, 22, 30) },
  // Due 22:30 UTC on 10-26 (Berlin 23:30 CET, the last of its 14 days; Shanghai 10-27, after them), done before: met.
  { channel: 'email', createdAt: Date.UTC(2025, 9, 20), dueAt: Date.UTC(2025, 9, 26, 22, 30), completedAt: Date.UTC(2025, 9, 26, 20) },
  // Due 21:30 UTC on 10-25 (Berlin 23:30 CEST on 10-25; Shanghai 05:30 on 10-26), still open: missed at noon on 10-26.
  { channel: 'email', createdAt: Date.UTC(2025, 9, 20), dueAt: Date.UTC(2025, 9, 25, 21, 30) },
];

async function seed(db: SqlDatabase): Promise<void> {
  await db.run(`INSERT INTO customers (id, name, created_at) VALUES ('CUS20241101001', '张伟', 0)`);
  let n = 0;
  for (const t of TICKETS) {
    // Contacts fall due 20 days later: after every SLA window these tests read.
    const dueAt = t.dueAt ?? t.createdAt + 20 * DAY;
    await db.run(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, completed_at, last_message_preview, last_message_at)
       VALUES (?, 'CUS20241101001', ?, 'consult', '主题', 'normal', ?, ?, ?, ?, ?, '', ?)`,
      [
        `GD20241108${String(++n).padStart(3, '0')}`,
        t.channel,
        t.completedAt === undefined ? 'unassigned' : 'completed',
        t.createdAt,
        t.createdAt,
        dueAt,
        t.completedAt ?? null,
        t.createdAt,
      ],
    );
  }
  await rebuildReportRollup(db);
}

/** The volume per channel of a report by channel. */
function volumes(report: { rows: Array<{ key: string | null; kpis: { volume: number } }> }): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of report.rows) out[String(row.key)] = row.kpis.volume;
  return out;
}

for (const backend of migratedBackends('orgzone')) {
  describe(`reports and charts in the organisation's time zone on ${backend.name}`, () => {
    let db: SqlDatabase;
    beforeAll(async () => {
      db = await backend.open();
      await seed(db);
    });
    afterAll(async () => {
      await db?.close();
      await backend.cleanup();
    });

    const asOf = Date.UTC(2025, 10, 1);

    it('counts a ticket near midnight on its Berlin day in Berlin and its Shanghai day in Shanghai', async () => {
      const repository = createReportRepository(db);
      const berlin = await repository.report({ period: 'day', date: '2024-11-08', by: 'channel' }, asOf, BERLIN);
      expect(reportSchema.parse(berlin)).toEqual(berlin);
      expect(berlin).toMatchObject({ timeZone: BERLIN, start: Date.UTC(2024, 10, 7, 23), end: Date.UTC(2024, 10, 8, 23), firstDay: '2024-11-08' });
      expect(volumes(berlin)).toEqual({ phone: 0, chat: 1, social: 0, email: 0 });
      expect(volumes(await repository.report({ period: 'day', date: '2024-11-07', by: 'channel' }, asOf, BERLIN))).toEqual({
        phone: 0,
        chat: 1,
        social: 0,
        email: 2,
      });
      const shanghai = await repository.report({ period: 'day', date: '2024-11-08', by: 'channel' }, asOf, SHANGHAI);
      expect(shanghai).toMatchObject({ timeZone: SHANGHAI, start: Date.UTC(2024, 10, 7, 16) });
      expect(volumes(shanghai)).toEqual({ phone: 0, chat: 2, social: 0, email: 1 });
    });

    it('reports a 25-hour autumn day whole, and agrees with shared/kpi.ts over the same tickets in every period and grouping', async () => {
      const repository = createReportRepository(db);
      const autumn = await repository.report({ period: 'day', date: '2025-10-26', by: 'channel' }, asOf, BERLIN);
      expect(autumn.end - autumn.start).toBe(25 * HOUR);
      // 22:00 UTC on 10-25, the two 02:30s and 23:30 CET: four; the last is 10-27 in Shanghai, the first 10-26 there too.
      expect(volumes(autumn)).toEqual({ phone: 3, chat: 0, social: 1, email: 0 });
      expect(volumes(await repository.report({ period: 'day', date: '2025-10-26', by: 'channel' }, asOf, SHANGHAI))).toEqual({
        phone: 3,
        chat: 0,
        social: 0,
        email: 0,
      });
      for (const timeZone of [BERLIN, SHANGHAI]) {
        for (const period of REPORT_PERIODS) {
          const facts = await repository.ticketFacts(periodRange(period, '2025-10-26', timeZone));
          for (const by of REPORT_DIMENSIONS) {
            const report = await repository.report({ period, date: '2025-10-26', by }, asOf, timeZone);
            expect(report.total, `${timeZone} ${period} by ${by}`).toEqual(computeKpis(facts, asOf));
            expect(report.rows, `${timeZone} ${period} by ${by}`).toEqual(groupKpis(facts, by, asOf, fixedReportKeys(by)));
          }
        }
      }
    });

    it('buckets the charts by the zone’s wall-clock hour: on the 25-hour day both 02:30s are hour 2 in Berlin', async () => {
      const repository = createReportRepository(db);
      const noon = Date.UTC(2025, 9, 26, 12);
      const berlin = await repository.charts(noon, BERLIN);
      expect(boardChartsSchema.parse(berlin)).toEqual(berlin);
      expect(berlin).toMatchObject({ timeZone: BERLIN, day: '2025-10-26', comparisonDay: '2025-10-19' });
      const phone = berlin.hourly.find((series) => series.channel === 'phone')!;
      // 13:00 CET: hours 0–13 have begun.
      expect(phone.today).toEqual(Array.from({ length: 24 }, (_, hour) => (hour >= 14 ? null : hour === 0 ? 1 : hour === 2 ? 2 : 0)));
      const shanghai = await repository.charts(noon, SHANGHAI);
      expect(shanghai.hourly.find((series) => series.channel === 'phone')!.today.slice(0, 10)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 1, 1]);
    });

    it('judges SLA on the zone’s days: a ticket due at 23:30 CET on the 25-hour day is that day’s in Berlin', async () => {
      const repository = createReportRepository(db);
      const noon = Date.UTC(2025, 9, 26, 12);
      const berlin = await repository.charts(noon, BERLIN);
      expect(berlin.sla.slice(-2)).toEqual([
        { day: '2025-10-25', due: 1, met: 0, missed: 1, pending: 0, compliance: 0 },
        { day: '2025-10-26', due: 1, met: 1, missed: 0, pending: 0, compliance: 1 },
      ]);
      const shanghai = await repository.charts(noon, SHANGHAI);
      // In Shanghai the open one falls due on 10-26 (05:30) and the met one on 10-27, after the 14 days.
      expect(shanghai.sla.slice(-2)).toEqual([
        { day: '2025-10-25', due: 0, met: 0, missed: 0, pending: 0, compliance: null },
        { day: '2025-10-26', due: 1, met: 0, missed: 1, pending: 0, compliance: 0 },
      ]);
    });

    it('reads near-midnight contacts into the hours of each zone’s own today', async () => {
      const repository = createReportRepository(db);
      const at = Date.UTC(2024, 10, 8, 10);
      const chat = (charts: Awaited<ReturnType<typeof repository.charts>>) => charts.hourly.find((series) => series.channel === 'chat')!.today;
      // Berlin 11:00: only the 00:30 ticket is today's.
      expect(chat(await repository.charts(at, BERLIN)).slice(0, 12)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      // Shanghai 18:00: 06:30 and 07:30.
      expect(chat(await repository.charts(at, SHANGHAI)).slice(0, 8)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    });

    it('refuses a zone the runtime does not know rather than report in some other zone', async () => {
      await expect(createReportRepository(db).report({ period: 'day', date: '2024-11-08', by: 'channel' }, asOf, 'Mars/Olympus')).rejects.toThrow();
    });
  });
}
