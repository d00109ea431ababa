/**
 * The Board's charts (shared/charts.ts) from the report repository on BOTH backends, a real
 * SQLite file and a real PostgreSQL database, with the same hand-made tickets; every expected
 * count is worked out by hand beside its ticket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESOLUTION_WINDOW_MS, boardChartsSchema } from '../../shared/charts.js';
import type { SqlDatabase } from '../db/sql.js';
import { migratedBackends } from '../testing/migratedDatabases.js';
import { createReportRepository } from './reportRepository.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2024-11-08 (a Friday) 00:00 in Beijing. */
const MIDNIGHT = Date.UTC(2024, 10, 7, 16);
/** Friday 2024-11-08, 13:30 in Beijing: hours 0–13 have begun. */
const AS_OF = MIDNIGHT + 13 * HOUR + 30 * MIN;
/** Friday 2024-11-01 00:00 in Beijing, the comparison day. */
const WEEK_AGO = MIDNIGHT - 7 * DAY;
/** 2024-10-26 00:00 in Beijing, the first of the 14 days. */
const FIRST_DAY = MIDNIGHT - 13 * DAY;

interface TicketSpec {
  channel: string;
  status: string;
  createdAt: number;
  dueAt: number;
  completedAt?: number | null;
}

/** Tickets for the hourly chart: due so late that none of them is among the 14 days' SLA tickets. */
function contact(channel: string, createdAt: number): TicketSpec {
  return { channel, status: 'unassigned', createdAt, dueAt: createdAt + MAX_RESOLUTION_WINDOW_MS };
}

/** Tickets for the SLA chart: created on days the hourly chart does not show (yesterday unless said). */
function due(dueAt: number, status: string, completedAt: number | null, createdAt = MIDNIGHT - 14 * HOUR): TicketSpec {
  return { channel: 'email', status, createdAt, dueAt, completedAt };
}

const TICKETS: TicketSpec[] = [
  // Today: chat at 00:00:00.000 → hour 0; chat at 09:00 and 09:59:59.999 → hour 9 (2); email at 13:10 → hour 13.
  contact('chat', MIDNIGHT),
  contact('chat', MIDNIGHT + 9 * HOUR),
  contact('chat', MIDNIGHT + 10 * HOUR - 1),
  contact('email', MIDNIGHT + 13 * HOUR + 10 * MIN),
  // Yesterday's last millisecond: not today.
  contact('phone', MIDNIGHT - 1),
  // The comparison day: social at 09:30 → hour 9, at 23:59:59.999 → hour 23; the next midnight is not that day.
  contact('social', WEEK_AGO + 9 * HOUR + 30 * MIN),
  contact('social', WEEK_AGO + DAY - 1),
  contact('chat', WEEK_AGO + DAY),
  // Due today: met (done at 09:00, due 10:00), met (done exactly at its due 11:00), missed (done 11:00, due 10:00),
  // missed (open, due 12:00 < 13:30), pending (open, due 15:00), pending (open, due exactly now: not past it).
  due(MIDNIGHT + 10 * HOUR, 'completed', MIDNIGHT + 9 * HOUR),
  due(MIDNIGHT + 11 * HOUR, 'completed', MIDNIGHT + 11 * HOUR),
  due(MIDNIGHT + 10 * HOUR, 'completed', MIDNIGHT + 11 * HOUR),
  due(MIDNIGHT + 12 * HOUR, 'in_progress', null),
  due(MIDNIGHT + 15 * HOUR, 'unassigned', null),
  due(AS_OF, 'awaiting_customer', null),
  // 11-07 00:00, created on 11-06 and completed that afternoon: counted on its DUE day, missed.
  due(MIDNIGHT - DAY, 'completed', MIDNIGHT - DAY + 15 * HOUR, MIDNIGHT - DAY - 4 * HOUR),
  // 11-06 23:59:59.999, still open (a reopened ticket is open): missed on 11-06.
  due(MIDNIGHT - DAY - 1, 'in_progress', null, MIDNIGHT - 3 * DAY),
  // 11-05 noon, closed in time: met on 11-05.
  due(MIDNIGHT - 3 * DAY + 12 * HOUR, 'closed', MIDNIGHT - 3 * DAY + 11 * HOUR, MIDNIGHT - 3 * DAY + 8 * HOUR),
  // Due at the first day's midnight, created the longest window before it, done in time: met on 10-26.
  due(FIRST_DAY, 'completed', FIRST_DAY - HOUR, FIRST_DAY - MAX_RESOLUTION_WINDOW_MS),
  // Due a millisecond before the 14 days, and tomorrow at 00:00: in neither.
  due(FIRST_DAY - 1, 'completed', FIRST_DAY - 2, FIRST_DAY - DAY),
  due(MIDNIGHT + DAY, 'unassigned', null),
];

async function seed(db: SqlDatabase): Promise<void> {
  await db.run(`INSERT INTO customers (id, name, created_at) VALUES ('CUS20241101001', '张伟', 0)`);
  let n = 0;
  for (const t of TICKETS) {
    await db.run(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, completed_at, last_message_preview, last_message_at)
       VALUES (?, 'CUS20241101001', ?, 'consult', '主题', 'normal', ?, ?, ?, ?, ?, '', ?)`,
      [`GD20241108${String(++n).padStart(3, '0')}`, t.channel, t.status, t.createdAt, t.createdAt, t.dueAt, t.completedAt ?? null, t.createdAt],
    );
  }
}

/** 24 hours of zeros with `counts` set; hours from `begun` on null (today) when given. */
function hours(counts: Record<number, number>, begun?: number): Array<number | null> {
  return Array.from({ length: 24 }, (_, hour) => (begun !== undefined && hour >= begun ? null : (counts[hour] ?? 0)));
}

for (const backend of migratedBackends('charts')) {
  describe(`board charts on ${backend.name}`, () => {
    let db: SqlDatabase;
    beforeAll(async () => {
      db = await backend.open();
      await seed(db);
    });
    afterAll(async () => {
      await db?.close();
      await backend.cleanup();
    });

    it('counts today’s contacts per channel and local hour against the same weekday a week earlier', async () => {
      const charts = await createReportRepository(db).charts(AS_OF);
      expect(boardChartsSchema.parse(charts)).toEqual(charts);
      expect(charts).toMatchObject({ timeZone: 'Asia/Shanghai', asOf: AS_OF, day: '2024-11-08', comparisonDay: '2024-11-01' });
      expect(charts.hourly).toEqual([
        { channel: 'phone', today: hours({}, 14), comparison: hours({}) },
        { channel: 'chat', today: hours({ 0: 1, 9: 2 }, 14), comparison: hours({}) },
        { channel: 'social', today: hours({}, 14), comparison: hours({ 9: 1, 23: 1 }) },
        { channel: 'email', today: hours({ 13: 1 }, 14), comparison: hours({}) },
      ]);
    });

    it('judges the tickets due on each of the last 14 local days', async () => {
      const { sla } = await createReportRepository(db).charts(AS_OF);
      expect(sla.map((day) => day.day)).toEqual([
        '2024-10-26',
        '2024-10-27',
        '2024-10-28',
        '2024-10-29',
        '2024-10-30',
        '2024-10-31',
        '2024-11-01',
        '2024-11-02',
        '2024-11-03',
        '2024-11-04',
        '2024-11-05',
        '2024-11-06',
        '2024-11-07',
        '2024-11-08',
      ]);
      const empty = { due: 0, met: 0, missed: 0, pending: 0, compliance: null };
      expect(sla.map(({ day: _day, ...counts }) => counts)).toEqual([
        { due: 1, met: 1, missed: 0, pending: 0, compliance: 1 },
        ...Array.from({ length: 9 }, () => empty),
        { due: 1, met: 1, missed: 0, pending: 0, compliance: 1 },
        { due: 1, met: 0, missed: 1, pending: 0, compliance: 0 },
        { due: 1, met: 0, missed: 1, pending: 0, compliance: 0 },
        // Today: 2 met, 2 missed → 50 %; the 2 not yet due are pending, in neither.
        { due: 6, met: 2, missed: 2, pending: 2, compliance: 0.5 },
      ]);
    });

    it('moves with the clock: at the next local midnight today is a new day with no hour begun but the first', async () => {
      const charts = await createReportRepository(db).charts(MIDNIGHT + DAY);
      expect(charts).toMatchObject({ day: '2024-11-09', comparisonDay: '2024-11-02' });
      expect(charts.hourly.find((series) => series.channel === 'chat')).toEqual({ channel: 'chat', today: hours({}, 1), comparison: hours({ 0: 1 }) });
      // 11-08 is now a past day: the two then pending are missed (the open 15:00 one, and the one due at 13:30).
      expect(charts.sla.at(-2)).toEqual({ day: '2024-11-08', due: 6, met: 2, missed: 4, pending: 0, compliance: 2 / 6 });
      // The open ticket due at 11-09 00:00 is pending at exactly that instant: due == now is not past it.
      expect(charts.sla.at(-1)).toEqual({ day: '2024-11-09', due: 1, met: 0, missed: 0, pending: 1, compliance: null });
      expect(charts.sla[0]!.day).toBe('2024-10-27');
    });
  });
}
