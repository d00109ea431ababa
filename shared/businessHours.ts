/**
 * Business hours of a channel (issue 11): a weekly schedule in the organisation's time zone
 * (policies `timeZone`, default Asia/Shanghai; shared/timeZone.ts), holiday dates closed, and
 * the auto-reply a customer gets when they write off-hours. Pure arithmetic, shared by the
 * server (who decides the auto-reply) and the workstation (who shows "open now"). Intervals
 * are wall-clock times: 09:00 is 09:00 on the office clock on both sides of a daylight-saving
 * jump. See docs/technical/administration.md.
 */
import { z } from 'zod';
import { parseLocalDate } from './kpi.js';
import { DEFAULT_ORG_TIME_ZONE, instantOfWallClock, wallClockOf } from './timeZone.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;
/** How far back the start of an off-hours period is looked for; a channel never open in that time has one endless period. */
const LOOKBACK_DAYS = 400;

/** Monday first, as Chinese calendars and the templates write a week (周一至周日). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "HH:MM", 00:00–24:00 (24:00 only as an end: open until midnight). */
export const clockTimeSchema = z.string().regex(/^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, 'a time like 09:00 (00:00–24:00)');

/** Minutes after local midnight of an "HH:MM". */
export function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

export const openIntervalSchema = z
  .object({ start: clockTimeSchema, end: clockTimeSchema })
  .strict()
  // params.code on these refinements: what the workstation words in its language (renderer/src/formIssueText.ts); the message is for logs.
  .refine((interval) => minutesOf(interval.start) < minutesOf(interval.end), {
    message: 'the end must be after the start',
    path: ['end'],
    params: { code: 'end_not_after_start' },
  });
export type OpenInterval = z.infer<typeof openIntervalSchema>;

/** One day's open intervals, in order and not overlapping (at most 4: a lunch break or two). */
const dayScheduleSchema = z
  .array(openIntervalSchema)
  .max(4)
  .refine((intervals) => intervals.every((interval, i) => i === 0 || minutesOf(intervals[i - 1]!.end) <= minutesOf(interval.start)), {
    message: 'intervals must be in order and must not overlap',
    params: { code: 'intervals_overlap' },
  });

/** A calendar date "YYYY-MM-DD" that exists (2026-02-30 does not). */
export const localDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-10-01')
  .refine((date) => parseLocalDate(date) !== null, { message: 'not a calendar date', params: { code: 'not_a_calendar_date' } });

export const MAX_AUTO_REPLY_LENGTH = 1000;

export const DEFAULT_AUTO_REPLY_TEXT = '您好，现在是非工作时间（工作时间：周一至周五 9:00–18:00），我们将在上班后尽快回复您。';

export const businessHoursSchema = z
  .object({
    /** Open around the clock (24 小时服务): no off-hours, no auto-reply; the weekly schedule is kept for when this is turned off. */
    alwaysOpen: z.boolean(),
    /** Open intervals per weekday, Monday first, in the organisation's time zone. */
    weekly: z
      .object({
        mon: dayScheduleSchema,
        tue: dayScheduleSchema,
        wed: dayScheduleSchema,
        thu: dayScheduleSchema,
        fri: dayScheduleSchema,
        sat: dayScheduleSchema,
        sun: dayScheduleSchema,
      })
      .strict(),
    /** Dates closed all day (public holidays, 节假日), dates in the organisation's time zone. */
    holidays: z
      .array(localDateSchema)
      .max(366)
      .refine((dates) => new Set(dates).size === dates.length, { message: 'a date is listed twice', params: { code: 'date_listed_twice' } }),
    /** Sent once per conversation per off-hours period; empty = no auto-reply (the contact still becomes a ticket). */
    autoReplyText: z.string().trim().max(MAX_AUTO_REPLY_LENGTH),
  })
  .strict();
export type BusinessHours = z.infer<typeof businessHoursSchema>;

const NINE_TO_SIX: OpenInterval[] = [{ start: '09:00', end: '18:00' }];

/** Around the clock by default (nothing changes for a server that never set hours), with Mon–Fri 9:00–18:00 ready to switch on. */
export const DEFAULT_BUSINESS_HOURS: Readonly<BusinessHours> = {
  alwaysOpen: true,
  weekly: { mon: NINE_TO_SIX, tue: NINE_TO_SIX, wed: NINE_TO_SIX, thu: NINE_TO_SIX, fri: NINE_TO_SIX, sat: [], sun: [] },
  holidays: [],
  autoReplyText: DEFAULT_AUTO_REPLY_TEXT,
};

/** The calendar day of an instant in a zone: its date, weekday, the instant of its midnight and the wall-clock minute of the day. */
export function localDayOf(at: number, timeZone: string): { date: string; weekday: Weekday; midnight: number; minute: number } {
  const wall = wallClockOf(timeZone, at);
  const wallMidnight = Math.floor(wall / DAY_MS) * DAY_MS;
  return {
    date: new Date(wallMidnight).toISOString().slice(0, 10),
    // getUTCDay: 0 = Sunday; WEEKDAYS starts on Monday.
    weekday: WEEKDAYS[(new Date(wallMidnight).getUTCDay() + 6) % 7]!,
    midnight: instantOfWallClock(timeZone, wallMidnight),
    minute: Math.floor((wall - wallMidnight) / MINUTE_MS),
  };
}

/** The calendar day of an instant in Asia/Shanghai (the default zone). */
export function shanghaiDayOf(at: number): { date: string; weekday: Weekday; midnight: number; minute: number } {
  return localDayOf(at, DEFAULT_ORG_TIME_ZONE);
}

/** Whether the channel is open at this instant, its hours read in `timeZone` (the organisation's). */
export function isOpenAt(hours: BusinessHours, at: number, timeZone: string = DEFAULT_ORG_TIME_ZONE): boolean {
  if (hours.alwaysOpen) return true;
  const day = localDayOf(at, timeZone);
  if (hours.holidays.includes(day.date)) return false;
  return hours.weekly[day.weekday].some((interval) => minutesOf(interval.start) <= day.minute && day.minute < minutesOf(interval.end));
}

/**
 * The instant the off-hours period containing `at` began: the end of the latest open
 * interval at or before `at`. One auto-reply per conversation per such period. A channel
 * open at `at` has none (null); one not open in the last 400 days has one endless period
 * (0). Open intervals that touch across midnight (…–24:00, 00:00–…) are one opening. Days
 * are stepped on the wall clock, so a 23- or 25-hour day of a daylight-saving zone is one day.
 */
export function offHoursPeriodStart(hours: BusinessHours, at: number, timeZone: string = DEFAULT_ORG_TIME_ZONE): number | null {
  if (isOpenAt(hours, at, timeZone)) return null;
  const wall = wallClockOf(timeZone, at);
  const todayWallMidnight = Math.floor(wall / DAY_MS) * DAY_MS;
  const holidays = new Set(hours.holidays);
  for (let back = 0; back <= LOOKBACK_DAYS; back++) {
    const wallMidnight = todayWallMidnight - back * DAY_MS;
    if (holidays.has(new Date(wallMidnight).toISOString().slice(0, 10))) continue;
    const weekday = WEEKDAYS[(new Date(wallMidnight).getUTCDay() + 6) % 7]!;
    const ends = hours.weekly[weekday]
      .map((interval) => instantOfWallClock(timeZone, wallMidnight + minutesOf(interval.end) * MINUTE_MS))
      .filter((end) => end <= at);
    if (ends.length > 0) return Math.max(...ends);
  }
  return 0;
}
