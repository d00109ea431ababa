import { describe, expect, it } from 'vitest';
import { DEFAULT_BUSINESS_HOURS, businessHoursSchema, isOpenAt, offHoursPeriodStart, shanghaiDayOf, type BusinessHours } from './businessHours.js';

/** An instant given as Asia/Shanghai wall-clock time. */
function shanghai(local: string): number {
  return Date.parse(`${local}+08:00`);
}

const officeHours: BusinessHours = { ...DEFAULT_BUSINESS_HOURS, alwaysOpen: false };

describe('business hours in Asia/Shanghai', () => {
  it('reads the local day and weekday at UTC+8, whatever the instant in UTC', () => {
    // 2026-12-06 23:30 UTC is Monday 07:30 in Shanghai.
    expect(shanghaiDayOf(Date.parse('2026-12-06T23:30:00Z'))).toMatchObject({ date: '2026-12-07', weekday: 'mon', minute: 7 * 60 + 30 });
    expect(shanghaiDayOf(shanghai('2026-12-07T00:00:00')).midnight).toBe(shanghai('2026-12-07T00:00:00'));
  });

  it('is open inside an interval: the start included, the end excluded', () => {
    expect(isOpenAt(officeHours, shanghai('2026-12-07T09:00:00'))).toBe(true);
    expect(isOpenAt(officeHours, shanghai('2026-12-07T08:59:59'))).toBe(false);
    expect(isOpenAt(officeHours, shanghai('2026-12-07T17:59:59'))).toBe(true);
    expect(isOpenAt(officeHours, shanghai('2026-12-07T18:00:00'))).toBe(false);
    expect(isOpenAt(officeHours, shanghai('2026-12-12T10:00:00'))).toBe(false); // Saturday
  });

  it('is always open when set around the clock, so an unset server never auto-replies', () => {
    expect(isOpenAt(DEFAULT_BUSINESS_HOURS, shanghai('2026-12-12T03:00:00'))).toBe(true);
    expect(offHoursPeriodStart(DEFAULT_BUSINESS_HOURS, shanghai('2026-12-12T03:00:00'))).toBeNull();
  });

  it('starts the off-hours period at the last closing, across midnight and the weekend', () => {
    const fridayClose = shanghai('2026-12-11T18:00:00');
    expect(offHoursPeriodStart(officeHours, shanghai('2026-12-11T20:00:00'))).toBe(fridayClose);
    expect(offHoursPeriodStart(officeHours, shanghai('2026-12-12T00:00:00'))).toBe(fridayClose); // midnight
    expect(offHoursPeriodStart(officeHours, shanghai('2026-12-13T23:59:00'))).toBe(fridayClose); // Sunday, week boundary
    expect(offHoursPeriodStart(officeHours, shanghai('2026-12-14T08:59:00'))).toBe(fridayClose); // Monday before opening
    expect(offHoursPeriodStart(officeHours, shanghai('2026-12-14T12:00:00'))).toBeNull();
    // Monday evening is a new period.
    expect(offHoursPeriodStart(officeHours, shanghai('2026-12-14T18:30:00'))).toBe(shanghai('2026-12-14T18:00:00'));
  });

  it('keeps a holiday closed all day, so the period runs from the last working day', () => {
    const hours: BusinessHours = { ...officeHours, holidays: ['2026-10-01', '2026-10-02'] };
    expect(isOpenAt(hours, shanghai('2026-10-01T10:00:00'))).toBe(false);
    expect(offHoursPeriodStart(hours, shanghai('2026-10-02T10:00:00'))).toBe(shanghai('2026-09-30T18:00:00'));
    expect(isOpenAt(hours, shanghai('2026-10-05T10:00:00'))).toBe(true);
  });

  it('treats a lunch break as its own off-hours period and intervals touching at midnight as one opening', () => {
    const split: BusinessHours = {
      ...officeHours,
      weekly: {
        ...officeHours.weekly,
        mon: [
          { start: '09:00', end: '12:00' },
          { start: '13:00', end: '24:00' },
        ],
        tue: [{ start: '00:00', end: '02:00' }],
      },
    };
    expect(offHoursPeriodStart(split, shanghai('2026-12-07T12:30:00'))).toBe(shanghai('2026-12-07T12:00:00'));
    expect(isOpenAt(split, shanghai('2026-12-07T23:59:00'))).toBe(true);
    expect(isOpenAt(split, shanghai('2026-12-08T00:00:00'))).toBe(true);
    expect(offHoursPeriodStart(split, shanghai('2026-12-08T03:00:00'))).toBe(shanghai('2026-12-08T02:00:00'));
  });

  it('has one endless period for a channel never open', () => {
    const closed: BusinessHours = { ...officeHours, weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } };
    expect(offHoursPeriodStart(closed, shanghai('2026-12-07T10:00:00'))).toBe(0);
  });

  it('refuses malformed schedules', () => {
    const bad = (patch: object) => businessHoursSchema.safeParse({ ...officeHours, ...patch }).success;
    expect(bad({})).toBe(true);
    expect(bad({ weekly: { ...officeHours.weekly, mon: [{ start: '18:00', end: '09:00' }] } })).toBe(false);
    expect(
      bad({
        weekly: {
          ...officeHours.weekly,
          mon: [
            { start: '09:00', end: '13:00' },
            { start: '12:00', end: '18:00' },
          ],
        },
      }),
    ).toBe(false);
    expect(bad({ weekly: { ...officeHours.weekly, mon: [{ start: '9:00', end: '18:00' }] } })).toBe(false);
    expect(bad({ weekly: { ...officeHours.weekly, mon: [{ start: '24:00', end: '24:00' }] } })).toBe(false);
    expect(bad({ holidays: ['2026-02-30'] })).toBe(false);
    expect(bad({ holidays: ['2026-10-01', '2026-10-01'] })).toBe(false);
    expect(bad({ autoReplyText: 'x'.repeat(1001) })).toBe(false);
    expect(bad({ timezone: 'Europe/Paris' })).toBe(false);
  });
});
