import { describe, expect, it } from 'vitest';
import { DEFAULT_BUSINESS_HOURS, isOpenAt, localDayOf, offHoursPeriodStart, type BusinessHours } from './businessHours.js';
import { policiesSchema, DEFAULT_POLICIES } from './admin.js';
import { instantOfWallClock, isKnownTimeZone, orgSettingsSchema, timeZoneSchema, wallClockOf, zoneOffsetMs } from './timeZone.js';

const HOUR_MS = 3_600_000;
const officeHours: BusinessHours = { ...DEFAULT_BUSINESS_HOURS, alwaysOpen: false };

describe('the organisation time zone', () => {
  it('knows IANA names and refuses others with a code the UI words', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
    const refused = timeZoneSchema.safeParse('Mars/Olympus');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ code: 'custom', params: { code: 'unknown_time_zone' } });
    expect(orgSettingsSchema.safeParse({ timeZone: 'America/New_York' }).success).toBe(true);
  });

  it('is Asia/Shanghai in the policies unless set, and an unknown zone is not a policy', () => {
    expect(DEFAULT_POLICIES.timeZone).toBe('Asia/Shanghai');
    const { timeZone: _dropped, ...olderClient } = DEFAULT_POLICIES;
    expect(policiesSchema.parse(olderClient).timeZone).toBe('Asia/Shanghai');
    expect(policiesSchema.safeParse({ ...DEFAULT_POLICIES, timeZone: 'Mars/Olympus' }).success).toBe(false);
    expect(policiesSchema.parse({ ...DEFAULT_POLICIES, timeZone: 'Europe/Berlin' }).timeZone).toBe('Europe/Berlin');
  });

  it('keeps Shanghai at +8 all year', () => {
    for (const at of [Date.parse('2026-01-15T12:00:00Z'), Date.parse('2026-07-15T12:00:00Z'), Date.parse('2026-03-29T01:00:00Z')]) {
      expect(zoneOffsetMs('Asia/Shanghai', at)).toBe(8 * HOUR_MS);
    }
  });

  it('follows Berlin across the last Sunday of March and of October', () => {
    // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
    expect(zoneOffsetMs('Europe/Berlin', Date.parse('2026-03-29T00:59:00Z'))).toBe(HOUR_MS);
    expect(zoneOffsetMs('Europe/Berlin', Date.parse('2026-03-29T01:00:00Z'))).toBe(2 * HOUR_MS);
    // 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET.
    expect(zoneOffsetMs('Europe/Berlin', Date.parse('2026-10-25T00:59:00Z'))).toBe(2 * HOUR_MS);
    expect(zoneOffsetMs('Europe/Berlin', Date.parse('2026-10-25T01:00:00Z'))).toBe(HOUR_MS);
  });

  it('follows New York across its second Sunday of March', () => {
    // 2026-03-08 07:00 UTC: 02:00 EST becomes 03:00 EDT.
    expect(zoneOffsetMs('America/New_York', Date.parse('2026-03-08T06:59:00Z'))).toBe(-5 * HOUR_MS);
    expect(zoneOffsetMs('America/New_York', Date.parse('2026-03-08T07:00:00Z'))).toBe(-4 * HOUR_MS);
  });

  it('reads a wall-clock time back as its instant, a skipped one after the jump and a repeated one at its first passing', () => {
    const wall = (text: string) => Date.parse(`${text}Z`);
    expect(instantOfWallClock('Europe/Berlin', wall('2026-03-29T12:00'))).toBe(Date.parse('2026-03-29T10:00:00Z'));
    expect(instantOfWallClock('Europe/Berlin', wall('2026-03-29T00:30'))).toBe(Date.parse('2026-03-28T23:30:00Z'));
    // 02:30 does not exist that night in Berlin.
    expect(new Date(wallClockOf('Europe/Berlin', instantOfWallClock('Europe/Berlin', wall('2026-03-29T02:30')))).toISOString()).toBe(
      '2026-03-29T03:30:00.000Z',
    );
    // 02:30 happens twice on 2026-10-25: first at +2.
    expect(instantOfWallClock('Europe/Berlin', wall('2026-10-25T02:30'))).toBe(Date.parse('2026-10-25T00:30:00Z'));
    expect(instantOfWallClock('Asia/Shanghai', wall('2026-12-07T09:00'))).toBe(Date.parse('2026-12-07T09:00:00+08:00'));
  });
});

describe('business hours in a zone with daylight saving', () => {
  it('opens at 09:00 on the Berlin office clock on both sides of the March jump', () => {
    // Friday 2026-03-27 is CET (+1), Monday 2026-03-30 is CEST (+2).
    expect(isOpenAt(officeHours, Date.parse('2026-03-27T08:59:00+01:00'), 'Europe/Berlin')).toBe(false);
    expect(isOpenAt(officeHours, Date.parse('2026-03-27T09:00:00+01:00'), 'Europe/Berlin')).toBe(true);
    expect(isOpenAt(officeHours, Date.parse('2026-03-30T08:59:00+02:00'), 'Europe/Berlin')).toBe(false);
    expect(isOpenAt(officeHours, Date.parse('2026-03-30T09:00:00+02:00'), 'Europe/Berlin')).toBe(true);
    // The same instant read at a fixed +8 would be Monday 15:00 in Shanghai: open there, closed in Berlin (08:00).
    const mondayEightInBerlin = Date.parse('2026-03-30T08:00:00+02:00');
    expect(isOpenAt(officeHours, mondayEightInBerlin, 'Asia/Shanghai')).toBe(true);
    expect(isOpenAt(officeHours, mondayEightInBerlin, 'Europe/Berlin')).toBe(false);
  });

  it('starts the weekend off-hours period at Friday 18:00 Berlin time, across the 23-hour Sunday', () => {
    const sundayNight = Date.parse('2026-03-29T23:00:00+02:00');
    expect(offHoursPeriodStart(officeHours, sundayNight, 'Europe/Berlin')).toBe(Date.parse('2026-03-27T18:00:00+01:00'));
    const day = localDayOf(sundayNight, 'Europe/Berlin');
    expect(day).toMatchObject({ date: '2026-03-29', weekday: 'sun', minute: 23 * 60 });
    expect(day.midnight).toBe(Date.parse('2026-03-29T00:00:00+01:00'));
  });

  it('reads New York hours in New York time, before and after its jump', () => {
    expect(isOpenAt(officeHours, Date.parse('2026-03-06T17:59:00-05:00'), 'America/New_York')).toBe(true);
    expect(isOpenAt(officeHours, Date.parse('2026-03-06T18:00:00-05:00'), 'America/New_York')).toBe(false);
    expect(isOpenAt(officeHours, Date.parse('2026-03-09T09:00:00-04:00'), 'America/New_York')).toBe(true);
    // Monday 2026-03-09 08:30 EDT: still closed; Sunday's local day was 23 hours long.
    const mondayEarly = Date.parse('2026-03-09T08:30:00-04:00');
    expect(isOpenAt(officeHours, mondayEarly, 'America/New_York')).toBe(false);
    expect(offHoursPeriodStart(officeHours, mondayEarly, 'America/New_York')).toBe(Date.parse('2026-03-06T18:00:00-05:00'));
  });

  it('reads Shanghai days exactly as the fixed UTC+8 arithmetic did', () => {
    const EIGHT = 8 * HOUR_MS;
    for (let at = Date.parse('2026-12-04T00:00:00+08:00'); at < Date.parse('2026-12-09T00:00:00+08:00'); at += 37 * 60_000) {
      const local = at + EIGHT;
      const localMidnight = Math.floor(local / (24 * HOUR_MS)) * 24 * HOUR_MS;
      expect(localDayOf(at, 'Asia/Shanghai')).toEqual({
        date: new Date(localMidnight).toISOString().slice(0, 10),
        weekday: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][new Date(localMidnight).getUTCDay()],
        midnight: localMidnight - EIGHT,
        minute: Math.floor((local - localMidnight) / 60_000),
      });
      expect(isOpenAt(officeHours, at, 'Asia/Shanghai')).toBe(isOpenAt(officeHours, at));
    }
  });
});
