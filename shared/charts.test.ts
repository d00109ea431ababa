import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES, policiesSchema } from './admin.js';
import { MAX_RESOLUTION_WINDOW_MS, boardChartsSchema, chartRanges, hourlySeries, slaOutcome, slaSeries } from './charts.js';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
/** 2024-11-08 (Friday) 00:00 in Beijing. */
const MIDNIGHT = Date.UTC(2024, 10, 7, 16);

describe('chart ranges (China local time)', () => {
  it('covers today, the same weekday a week earlier and the 14 days ending today', () => {
    const ranges = chartRanges(MIDNIGHT + 13 * HOUR + 59 * 60_000);
    expect(ranges).toMatchObject({
      day: '2024-11-08',
      comparisonDay: '2024-11-01',
      today: { start: MIDNIGHT, end: MIDNIGHT + DAY },
      comparison: { start: MIDNIGHT - 7 * DAY, end: MIDNIGHT - 6 * DAY },
      sla: { start: MIDNIGHT - 13 * DAY, end: MIDNIGHT + DAY },
      hoursBegun: 14,
    });
    expect(ranges.slaDays[0]).toBe('2024-10-26');
    expect(ranges.slaDays.at(-1)).toBe('2024-11-08');
    expect(ranges.slaDays).toHaveLength(14);
  });

  it('starts a new day at local midnight, not UTC midnight', () => {
    expect(chartRanges(MIDNIGHT - 1)).toMatchObject({ day: '2024-11-07', hoursBegun: 24 });
    expect(chartRanges(MIDNIGHT)).toMatchObject({ day: '2024-11-08', hoursBegun: 1 });
    // 2024-11-08 08:00 UTC is already 16:00 in Beijing.
    expect(chartRanges(Date.UTC(2024, 10, 8, 8))).toMatchObject({ day: '2024-11-08', hoursBegun: 17 });
  });

  it('crosses month and year ends', () => {
    expect(chartRanges(Date.UTC(2025, 0, 3, 2))).toMatchObject({ day: '2025-01-03', comparisonDay: '2024-12-27' });
    expect(chartRanges(Date.UTC(2025, 0, 3, 2)).slaDays[0]).toBe('2024-12-21');
  });
});

describe('chart ranges in another organisation time zone', () => {
  it('reads the wall-clock hours of a 25-hour autumn day: hour 2 passes twice and is one hour of the chart', () => {
    // Berlin, Sunday 2025-10-26: midnight is 22:00 UTC the day before; 03:00 CEST becomes 02:00 CET at 01:00 UTC.
    const ranges = chartRanges(Date.UTC(2025, 9, 26, 12), 'Europe/Berlin');
    expect(ranges).toMatchObject({ timeZone: 'Europe/Berlin', day: '2025-10-26', comparisonDay: '2025-10-19', hoursBegun: 14 });
    expect(ranges.today).toEqual({ start: Date.UTC(2025, 9, 25, 22), end: Date.UTC(2025, 9, 26, 23) });
    expect(ranges.todayHours.map((segment) => segment.hour)).toEqual(Array.from({ length: 24 }, (_, hour) => hour));
    expect(ranges.todayHours[2]).toEqual({ start: Date.UTC(2025, 9, 26, 0), end: Date.UTC(2025, 9, 26, 2), hour: 2 });
    // The comparison day (a week before, summer time) is 24 ordinary hours.
    expect(ranges.comparisonHours.every((segment) => segment.end - segment.start === HOUR)).toBe(true);
    expect(ranges.slaDayEnds.at(-1)).toBe(ranges.today.end);
  });

  it('leaves out the hour a spring day skips, and ends each of the 14 days at its local midnight', () => {
    const ranges = chartRanges(Date.UTC(2025, 2, 30, 20), 'Europe/Berlin');
    expect(ranges.todayHours.map((segment) => segment.hour)).toEqual([0, 1, ...Array.from({ length: 21 }, (_, index) => index + 3)]);
    expect(ranges.hoursBegun).toBe(23);
    // The days before 30 March end at 23:00 UTC (CET), the last one at 22:00 UTC (CEST).
    expect(ranges.slaDayEnds.slice(-2)).toEqual([Date.UTC(2025, 2, 29, 23), Date.UTC(2025, 2, 30, 22)]);
    expect(ranges.sla.start).toBe(Date.UTC(2025, 2, 16, 23));
  });
});

describe('the longest resolution window the SLA query relies on', () => {
  it('is the longest target the policies accept, so no ticket is due later after its creation', () => {
    const minutes = MAX_RESOLUTION_WINDOW_MS / 60_000;
    const longest = { ...DEFAULT_POLICIES, slaMinutes: { ...DEFAULT_POLICIES.slaMinutes, low: minutes }, complaintSlaMinutes: minutes };
    expect(policiesSchema.safeParse(longest).success).toBe(true);
    expect(policiesSchema.safeParse({ ...longest, slaMinutes: { ...longest.slaMinutes, low: minutes + 1 } }).success).toBe(false);
    expect(policiesSchema.safeParse({ ...longest, complaintSlaMinutes: minutes + 1 }).success).toBe(false);
  });
});

describe('SLA outcome of a ticket', () => {
  const due = MIDNIGHT + 10 * HOUR;
  it('is met when resolved at or before the due time, missed after it', () => {
    expect(slaOutcome({ dueAt: due, completedAt: due }, due + DAY)).toBe('met');
    expect(slaOutcome({ dueAt: due, completedAt: due + 1 }, due)).toBe('missed');
  });
  it('is pending while open and not past due, missed once past it', () => {
    expect(slaOutcome({ dueAt: due, completedAt: null }, due)).toBe('pending');
    expect(slaOutcome({ dueAt: due, completedAt: null }, due + 1)).toBe('missed');
  });
});

describe('series from the database’s counts', () => {
  it('fills every channel and hour, adds repeated keys, leaves the hours to come null', () => {
    const series = hourlySeries(
      [
        { channel: 'chat', hour: 0, contacts: 2 },
        { channel: 'chat', hour: 0, contacts: 1 },
        { channel: 'email', hour: 5, contacts: 9 },
      ],
      [{ channel: 'phone', hour: 23, contacts: 4 }],
      3,
    );
    expect(series.map((entry) => entry.channel)).toEqual(['phone', 'chat', 'social', 'email']);
    expect(series[1]!.today.slice(0, 4)).toEqual([3, 0, 0, null]);
    // Hour 5 has not begun: a count there (a clock running behind the database's) is not shown as the future.
    expect(series[3]!.today[5]).toBeNull();
    expect(series[0]!.comparison[23]).toBe(4);
    expect(series[0]!.today.filter((value) => value === null)).toHaveLength(21);
  });

  it('gives compliance as met / judged, null when nothing was judged', () => {
    const days = ['2024-11-07', '2024-11-08'];
    expect(slaSeries([{ dayIndex: 1, due: 5, met: 3, missed: 1 }], days)).toEqual([
      { day: '2024-11-07', due: 0, met: 0, missed: 0, pending: 0, compliance: null },
      { day: '2024-11-08', due: 5, met: 3, missed: 1, pending: 1, compliance: 0.75 },
    ]);
  });

  it('refuses an answer of the wrong shape', () => {
    const result = boardChartsSchema.safeParse({
      timeZone: 'Asia/Shanghai',
      asOf: 1,
      day: '2024-11-08',
      comparisonDay: '2024-11-01',
      hourly: [{ channel: 'fax', today: [], comparison: [] }],
      sla: [],
    });
    expect(result.success).toBe(false);
  });
});
