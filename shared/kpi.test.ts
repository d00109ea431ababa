/**
 * The KPI arithmetic against fixtures computed by hand (the working is beside each
 * expectation), including the templates' channel status example: 2 overdue of 12 → 16.67%.
 */
import { describe, expect, it } from 'vitest';
import { CHANNELS } from './domain.js';
import { EMPTY_TOTALS, computeKpis, groupKpis, kpiRows, localDateOf, parseLocalDate, periodRange, totalsOfTicket, type TicketFacts } from './kpi.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2024-11-08 09:00 in Beijing. */
const T = Date.UTC(2024, 10, 8, 1, 0);

function ticket(overrides: Partial<TicketFacts> & { createdAt: number }): TicketFacts {
  return {
    channel: 'chat',
    type: 'consult',
    group: 'orders',
    assigneeId: 'agent1',
    assigneeName: '王芳',
    status: 'in_progress',
    firstResponseAt: null,
    completedAt: null,
    // Normal priority: 4 h.
    dueAt: overrides.createdAt + 4 * HOUR,
    inboundMessages: 1,
    inboundAfterFirstResponse: 0,
    ...overrides,
  };
}

/**
 * The templates' example row (渠道处理状态跟踪表): 12 tickets today on one channel, 2 of them
 * overdue. Judged at 19:00 (T + 10 h):
 *  1–8  created T + 10 min·(i−1), replied after 2 min, completed after 60 min (on time);
 *       7 and 8: the customer wrote again after the reply (not first-contact).
 *  9    created T, replied after 10 min, completed after 5 h: due at T + 4 h → overdue.
 *  10   created T, never answered, still open at T + 10 h: due T + 4 h → overdue.
 *  11   created T + 8 h, replied after 1 min, open, due T + 12 h → not yet judged.
 *  12   created T + 9 h, queued, nothing yet → not yet judged.
 */
function templateDay(): TicketFacts[] {
  const rows: TicketFacts[] = [];
  for (let i = 1; i <= 8; i++) {
    const createdAt = T + (i - 1) * 10 * MIN;
    rows.push(
      ticket({
        createdAt,
        firstResponseAt: createdAt + 2 * MIN,
        completedAt: createdAt + 60 * MIN,
        status: 'completed',
        inboundMessages: i >= 7 ? 2 : 1,
        inboundAfterFirstResponse: i >= 7 ? 1 : 0,
      }),
    );
  }
  rows.push(ticket({ createdAt: T, firstResponseAt: T + 10 * MIN, completedAt: T + 5 * HOUR, status: 'completed' }));
  rows.push(ticket({ createdAt: T }));
  rows.push(ticket({ createdAt: T + 8 * HOUR, firstResponseAt: T + 8 * HOUR + MIN }));
  rows.push(ticket({ createdAt: T + 9 * HOUR, status: 'unassigned', assigneeId: null, assigneeName: null }));
  return rows;
}

describe('computeKpis', () => {
  it('reproduces the templates’ example: 2 overdue of 12 is 16.67%', () => {
    const kpis = computeKpis(templateDay(), T + 10 * HOUR);
    expect(kpis.volume).toBe(12);
    expect(kpis.overdue).toBe(2);
    // 2 / 12 = 0.16666… → 16.67 %
    expect(kpis.overdueRate).toBeCloseTo(2 / 12, 12);
    expect((kpis.overdueRate! * 100).toFixed(2)).toBe('16.67');
    // Replies: 8 × 2 min + 10 min + 1 min = 27 min over 10 tickets → 2.7 min = 162,000 ms.
    expect(kpis.responded).toBe(10);
    expect(kpis.avgFirstResponseMs).toBe(162_000);
    // Resolved: 8 × 60 min + 300 min = 780 min over 9 → 86.67 min = 5,200,000 ms.
    expect(kpis.resolved).toBe(9);
    expect(kpis.avgHandlingMs).toBe(5_200_000);
    // Judged: 8 met + 2 overdue = 10 → 8 / 10 = 80 %.
    expect(kpis.slaJudged).toBe(10);
    expect(kpis.slaMet).toBe(8);
    expect(kpis.slaCompliance).toBe(0.8);
    // First contact: 1–6 and 9 (the customer never wrote again) = 7 of 9 resolved.
    expect(kpis.firstContactResolved).toBe(7);
    expect(kpis.firstContactResolution).toBeCloseTo(7 / 9, 12);
    // No survey exists: nothing is made up.
    expect(kpis.csatAverage).toBeNull();
    expect(kpis.csatResponseRate).toBeNull();
  });

  it('judges an open ticket overdue only once its due time has passed', () => {
    const open = ticket({ createdAt: T });
    expect(computeKpis([open], T + 4 * HOUR).overdue).toBe(0);
    expect(computeKpis([open], T + 4 * HOUR + 1).overdue).toBe(1);
    // Completed exactly at the due time is on time.
    expect(computeKpis([ticket({ createdAt: T, completedAt: T + 4 * HOUR, status: 'completed' })], T + 9 * HOUR).slaMet).toBe(1);
  });

  it('counts a resolved call without a written reply as first-contact only when the customer called once', () => {
    const once = ticket({ channel: 'phone', createdAt: T, completedAt: T + 20 * MIN, status: 'completed', inboundMessages: 1 });
    const twice = ticket({ channel: 'phone', createdAt: T, completedAt: T + 20 * MIN, status: 'completed', inboundMessages: 2 });
    const kpis = computeKpis([once, twice], T + HOUR);
    // 1 of 2 resolved; no reply anywhere → no first-response time.
    expect(kpis.firstContactResolved).toBe(1);
    expect(kpis.firstContactResolution).toBe(0.5);
    expect(kpis.avgFirstResponseMs).toBeNull();
    expect(kpis.avgHandlingMs).toBe(20 * MIN);
  });

  it('answers null, never NaN, for an empty set', () => {
    expect(computeKpis([], T)).toEqual({
      volume: 0,
      responded: 0,
      avgFirstResponseMs: null,
      resolved: 0,
      avgHandlingMs: null,
      slaJudged: 0,
      slaMet: 0,
      slaCompliance: null,
      overdue: 0,
      overdueRate: null,
      firstContactResolved: 0,
      firstContactResolution: null,
      csatAverage: null,
      csatResponseRate: null,
    });
  });
});

describe('CSAT arithmetic', () => {
  /**
   * Five completed tickets of one day, by hand:
   *  A sent, answered 5 5 5 5 → 20 points, score 5
   *  B sent, answered 4 3 4 3 → 14 points, score 3.5
   *  C sent, answered 2 1 2 1 → 6 points, score 1.5
   *  D sent, not answered
   *  E a phone call: never sent (in neither count)
   * average = (5 + 3.5 + 1.5) / 3 = 10 / 3 = 3.333… (= 40 points / (4 × 3));
   * response rate = 3 answered / 4 sent = 75%.
   */
  it('averages the answers’ scores and divides answered by sent', () => {
    const done = (csatSent: boolean, csatPoints: number | null) => ticket({ createdAt: T, completedAt: T + HOUR, status: 'completed', csatSent, csatPoints });
    const kpis = computeKpis([done(true, 20), done(true, 14), done(true, 6), done(true, null), done(false, null)], T + 2 * HOUR);
    expect(kpis.csatAverage).toBeCloseTo(10 / 3, 12);
    expect(kpis.csatAverage!.toFixed(2)).toBe('3.33');
    expect(kpis.csatResponseRate).toBe(0.75);
    // Tickets without a survey leave both null, not 0.
    expect(computeKpis([ticket({ createdAt: T })], T).csatAverage).toBeNull();
    expect(computeKpis([done(true, null)], T).csatResponseRate).toBe(0);
    expect(computeKpis([done(true, null)], T).csatAverage).toBeNull();
  });
});

describe('groupKpis', () => {
  it('keeps every channel in order, with zero rows for quiet ones', () => {
    const rows = groupKpis([...templateDay(), ticket({ channel: 'email', createdAt: T })], 'channel', T + 10 * HOUR, CHANNELS);
    expect(rows.map((row) => [row.key, row.kpis.volume])).toEqual([
      ['phone', 0],
      ['chat', 12],
      ['social', 0],
      ['email', 1],
    ]);
    expect(rows[0]!.kpis.overdueRate).toBeNull();
    // The email ticket, created T and open at T + 10 h, is overdue: 1 of 1.
    expect(rows[3]!.kpis.overdueRate).toBe(1);
  });

  it('lists agents in Chinese collation order (pinyin, Latin names after), unassigned last, and no group last', () => {
    const facts = [
      ticket({ createdAt: T, assigneeId: 'agent2', assigneeName: '张强' }),
      ticket({ createdAt: T, assigneeId: 'agent1', assigneeName: '王芳' }),
      ticket({ createdAt: T, assigneeId: null, assigneeName: null, group: null }),
      ticket({ createdAt: T, assigneeId: 'agent6', assigneeName: 'Emily Chen' }),
    ];
    const byAgent = groupKpis(facts, 'agent', T);
    expect(byAgent.map((row) => [row.key, row.name])).toEqual([
      ['agent1', '王芳'],
      ['agent2', '张强'],
      ['agent6', 'Emily Chen'],
      [null, null],
    ]);
    const byGroup = groupKpis(facts, 'group', T, ['orders', 'after_sales']);
    expect(byGroup.map((row) => [row.key, row.kpis.volume])).toEqual([
      ['orders', 3],
      ['after_sales', 0],
      [null, 1],
    ]);
  });
});

describe('kpiRows over totals a database added up', () => {
  it('adds the totals of a key that comes twice (an unknown group and none are both "no group")', () => {
    const a = totalsOfTicket(ticket({ createdAt: T, completedAt: T + HOUR, status: 'completed' }), T + HOUR);
    const b = totalsOfTicket(ticket({ createdAt: T }), T + 5 * HOUR);
    const rows = kpiRows(
      [
        { key: null, name: null, totals: a },
        { key: 'orders', name: null, totals: EMPTY_TOTALS },
        { key: null, name: null, totals: b },
      ],
      'group',
      ['orders'],
    );
    // Null: 2 tickets, 1 resolved on time (60 min), 1 open past due → overdue 1 / 2, SLA 1 / 2.
    expect(rows.map((row) => [row.key, row.kpis.volume, row.kpis.overdueRate, row.kpis.slaCompliance, row.kpis.avgHandlingMs])).toEqual([
      ['orders', 0, null, null, null],
      [null, 2, 0.5, 0.5, HOUR],
    ]);
  });
});

describe('periods in China local time', () => {
  it('starts a day at local midnight (16:00 UTC the day before)', () => {
    const day = periodRange('day', '2024-11-08');
    expect(day).toEqual({ period: 'day', start: Date.UTC(2024, 10, 7, 16), end: Date.UTC(2024, 10, 8, 16), firstDay: '2024-11-08', lastDay: '2024-11-08' });
    expect(localDateOf(Date.UTC(2024, 10, 7, 16))).toBe('2024-11-08');
    expect(localDateOf(Date.UTC(2024, 10, 7, 16) - 1)).toBe('2024-11-07');
  });

  it('starts a week on Monday, whichever day of it is asked for', () => {
    // 2024-11-04 is a Monday, 2024-11-10 a Sunday.
    for (const date of ['2024-11-04', '2024-11-08', '2024-11-10']) {
      expect(periodRange('week', date)).toMatchObject({
        start: Date.UTC(2024, 10, 3, 16),
        end: Date.UTC(2024, 10, 10, 16),
        firstDay: '2024-11-04',
        lastDay: '2024-11-10',
      });
    }
    // A week across the new year: Wednesday 2025-01-01 is in the week of Monday 2024-12-30.
    expect(periodRange('week', '2025-01-01')).toMatchObject({ firstDay: '2024-12-30', lastDay: '2025-01-05' });
  });

  it('covers whole months, leap February and December included', () => {
    expect(periodRange('month', '2024-02-15')).toMatchObject({ start: Date.UTC(2024, 0, 31, 16), end: Date.UTC(2024, 1, 29, 16), lastDay: '2024-02-29' });
    expect(periodRange('month', '2024-12-31')).toMatchObject({ firstDay: '2024-12-01', lastDay: '2024-12-31', end: Date.UTC(2024, 11, 31, 16) });
  });

  it('refuses what is not a calendar date', () => {
    for (const bad of ['2024-02-30', '2023-02-29', '2024-1-5', '2024-13-01', '', '2024-11-08T00:00', "2024-11-08' OR 1=1"]) {
      expect(parseLocalDate(bad)).toBeNull();
      expect(() => periodRange('day', bad)).toThrow(RangeError);
    }
    expect(parseLocalDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
  });
});

describe('periods in another organisation time zone', () => {
  it('reads the same instant as different days in Berlin and Shanghai', () => {
    // 2024-11-07 23:30 UTC: 00:30 on the 8th in Berlin (UTC+1), 07:30 on the 8th in Shanghai; 22:30 UTC is still the 7th in Berlin.
    expect(localDateOf(Date.UTC(2024, 10, 7, 22, 30), 'Europe/Berlin')).toBe('2024-11-07');
    expect(localDateOf(Date.UTC(2024, 10, 7, 22, 30), 'Asia/Shanghai')).toBe('2024-11-08');
    expect(periodRange('day', '2024-11-08', 'Europe/Berlin')).toMatchObject({ start: Date.UTC(2024, 10, 7, 23), end: Date.UTC(2024, 10, 8, 23) });
  });

  it('makes a day of 23 hours in spring and 25 in autumn, and weeks and months end on local midnights', () => {
    // Berlin 2025: 02:00 CET → 03:00 CEST on Sunday 30 March; 03:00 CEST → 02:00 CET on Sunday 26 October.
    const spring = periodRange('day', '2025-03-30', 'Europe/Berlin');
    expect(spring).toMatchObject({ start: Date.UTC(2025, 2, 29, 23), end: Date.UTC(2025, 2, 30, 22), firstDay: '2025-03-30', lastDay: '2025-03-30' });
    expect(spring.end - spring.start).toBe(23 * HOUR);
    const autumn = periodRange('day', '2025-10-26', 'Europe/Berlin');
    expect(autumn.end - autumn.start).toBe(25 * HOUR);
    expect(periodRange('week', '2025-03-26', 'Europe/Berlin')).toMatchObject({
      start: Date.UTC(2025, 2, 23, 23),
      end: Date.UTC(2025, 2, 30, 22),
      lastDay: '2025-03-30',
    });
    expect(periodRange('month', '2025-03-05', 'Europe/Berlin')).toMatchObject({
      start: Date.UTC(2025, 1, 28, 23),
      end: Date.UTC(2025, 2, 31, 22),
      lastDay: '2025-03-31',
    });
  });

  it('starts a day whose midnight the zone skips at the moment after the jump', () => {
    // Santiago 2024: 00:00 −04 → 01:00 −03 on Sunday 8 September; that day starts at 01:00 −03 (04:00 UTC).
    const day = periodRange('day', '2024-09-08', 'America/Santiago');
    expect(day.start).toBe(Date.UTC(2024, 8, 8, 4));
    expect(periodRange('day', '2024-09-07', 'America/Santiago').end).toBe(day.start);
    expect(localDateOf(day.start - 1, 'America/Santiago')).toBe('2024-09-07');
  });
});
