/**
 * The lead's charts (issue 11): contacts per hour per channel today against the same weekday
 * a week earlier, and SLA compliance per day over the last 14 days, all in the organisation's
 * time zone (policies `timeZone`, default Asia/Shanghai, like kpi.ts's periods). `GET /api/v1/reports/charts` answers this shape;
 * the server adds the rows up (server/reports/reportRepository.ts), the pure definitions are here.
 *
 * Definitions (docs/technical/renderer.md, "Board charts", repeats them):
 * - a contact is a ticket CREATED in that hour (the same cohort as the reports' volume: a
 *   customer writing again on an open ticket joins it and is not a new contact);
 * - the hours are 0–23 of the local day, read on the wall clock: on a daylight-saving day the
 *   skipped hour holds 0 and a repeated hour adds up both of its passings; hours still to come
 *   today are null, not 0;
 * - a day's SLA tickets are those DUE that local day (`due_at` in the day), whatever day
 *   they were created. Each is met (resolved — completed or closed — at or before its due
 *   time), missed (resolved after it, or still open after it), or pending (open and its due
 *   time not reached yet: only today has those). Compliance = met / (met + missed); null on a
 *   day with nothing judged. A reopened ticket is open again, so it is judged as open.
 */
import { z } from 'zod';
import { CHANNELS, channelSchema, type Channel } from './domain.js';
import { localDateOf, periodRange } from './kpi.js';
import { DEFAULT_ORG_TIME_ZONE, timeZoneSchema, wallClockOf } from './timeZone.js';

export const CHART_HOURS = 24;
export const SLA_CHART_DAYS = 14;
/** The comparison day is the same weekday this many days earlier. */
export const COMPARISON_DAYS_BACK = 7;
/** How often the Board view asks for the charts again while it is open (the board itself is pushed every second). */
export const CHART_REFRESH_MS = 60_000;

const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The longest a ticket's due time can lie after its creation: the policies' resolution
 * targets are at most 30 days (shared/admin.ts `targetMinutes`), the built-in ones 24 h. A
 * ticket due in the chart's 14 days was therefore created at most this long before them.
 */
export const MAX_RESOLUTION_WINDOW_MS = 30 * DAY_MS;

const count = z.number().int().nonnegative();
const localDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const hourlyChannelSeriesSchema = z.object({
  channel: channelSchema,
  /** Contacts per hour today (0–23); null for the hours still to come. */
  today: z.array(count.nullable()).length(CHART_HOURS),
  /** Contacts per hour on the comparison day. */
  comparison: z.array(count).length(CHART_HOURS),
});
export type HourlyChannelSeries = z.infer<typeof hourlyChannelSeriesSchema>;

export const slaDaySchema = z.object({
  day: localDay,
  /** Tickets due that day. */
  due: count,
  met: count,
  missed: count,
  /** Open and not yet due (today only). */
  pending: count,
  /** met / (met + missed); null when nothing was judged. */
  compliance: z.number().min(0).max(1).nullable(),
});
export type SlaDay = z.infer<typeof slaDaySchema>;

export const boardChartsSchema = z.object({
  /** The organisation's time zone at `asOf` (IANA name): the days and hours are its. */
  timeZone: timeZoneSchema,
  /** When it was computed (server clock): the current hour and what is pending are judged at it. */
  asOf: z.number().int().nonnegative(),
  /** Today in `timeZone`, and the same weekday a week earlier. */
  day: localDay,
  comparisonDay: localDay,
  /** One per channel, in the order of CHANNELS. */
  hourly: z.array(hourlyChannelSeriesSchema).max(CHANNELS.length),
  /** The last 14 local days, oldest first, today last. */
  sla: z.array(slaDaySchema).length(SLA_CHART_DAYS),
});
export type BoardCharts = z.infer<typeof boardChartsSchema>;

/** A stretch of time [start, end) that the local wall clock reads as hour `hour` (0–23) of the day. */
export interface HourSegment {
  start: number;
  end: number;
  hour: number;
}

/** The time ranges the charts cover at `asOf` in `timeZone`, each [start, end) in epoch ms. */
export interface ChartRanges {
  timeZone: string;
  day: string;
  comparisonDay: string;
  today: { start: number; end: number };
  comparison: { start: number; end: number };
  /** Today's and the comparison day's local hours, in time order: 24 on most days, 23 or 25 around a daylight-saving jump. */
  todayHours: HourSegment[];
  comparisonHours: HourSegment[];
  /** The 14 days, today included; `days[0]` is the oldest. */
  slaDays: string[];
  /** Where each of the 14 days ends (its next local midnight): a due time before `slaDayEnds[i]` and not before the previous is day i. */
  slaDayEnds: number[];
  sla: { start: number; end: number };
  /** Hours of today already begun at `asOf` (1–24), read on the wall clock. */
  hoursBegun: number;
}

/** The local date `days` calendar days after `date` (`YYYY-MM-DD`; negative goes back). */
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The wall-clock hours of a local day: every offset in use is a whole quarter hour, so quarters are stepped and merged. */
function hourSegments(range: { start: number; end: number }, timeZone: string): HourSegment[] {
  const QUARTER_MS = 15 * 60_000;
  const wallMidnight = Math.floor(wallClockOf(timeZone, range.start) / DAY_MS) * DAY_MS;
  const segments: HourSegment[] = [];
  for (let at = range.start; at < range.end; at += QUARTER_MS) {
    const hour = Math.min(CHART_HOURS - 1, Math.floor((wallClockOf(timeZone, at) - wallMidnight) / HOUR_MS));
    const end = Math.min(at + QUARTER_MS, range.end);
    const last = segments[segments.length - 1];
    if (last && last.hour === hour && last.end === at) last.end = end;
    else segments.push({ start: at, end, hour });
  }
  return segments;
}

export function chartRanges(asOf: number, timeZone: string = DEFAULT_ORG_TIME_ZONE): ChartRanges {
  const today = periodRange('day', localDateOf(asOf, timeZone), timeZone);
  const comparison = periodRange('day', addDays(today.firstDay, -COMPARISON_DAYS_BACK), timeZone);
  const slaDays = Array.from({ length: SLA_CHART_DAYS }, (_, index) => addDays(today.firstDay, index - (SLA_CHART_DAYS - 1)));
  const slaDayEnds = slaDays.map((day) => periodRange('day', day, timeZone).end);
  const slaStart = periodRange('day', slaDays[0]!, timeZone).start;
  const wallMidnight = Math.floor(wallClockOf(timeZone, today.start) / DAY_MS) * DAY_MS;
  return {
    timeZone,
    day: today.firstDay,
    comparisonDay: comparison.firstDay,
    today: { start: today.start, end: today.end },
    comparison: { start: comparison.start, end: comparison.end },
    todayHours: hourSegments(today, timeZone),
    comparisonHours: hourSegments(comparison, timeZone),
    slaDays,
    slaDayEnds,
    sla: { start: slaStart, end: today.end },
    hoursBegun: Math.min(CHART_HOURS, Math.floor((wallClockOf(timeZone, asOf) - wallMidnight) / HOUR_MS) + 1),
  };
}

/** A ticket's SLA outcome as the chart counts it (see the module's definition). */
export function slaOutcome(ticket: { dueAt: number; completedAt: number | null }, asOf: number): 'met' | 'missed' | 'pending' {
  if (ticket.completedAt !== null) return ticket.completedAt <= ticket.dueAt ? 'met' : 'missed';
  return asOf > ticket.dueAt ? 'missed' : 'pending';
}

/** Counts per (channel, hour) as the database adds them up. */
export interface HourCount {
  channel: Channel;
  hour: number;
  contacts: number;
}

/** The hourly series from per-hour counts: every channel, every hour (zeros included), today's hours to come null. */
export function hourlySeries(todayCounts: readonly HourCount[], comparisonCounts: readonly HourCount[], hoursBegun: number): HourlyChannelSeries[] {
  const grid = (counts: readonly HourCount[]) => {
    const byChannel = new Map<Channel, number[]>(CHANNELS.map((channel) => [channel, new Array<number>(CHART_HOURS).fill(0)]));
    for (const entry of counts) {
      const hours = byChannel.get(entry.channel);
      if (hours && entry.hour >= 0 && entry.hour < CHART_HOURS) hours[entry.hour] = (hours[entry.hour] ?? 0) + entry.contacts;
    }
    return byChannel;
  };
  const today = grid(todayCounts);
  const comparison = grid(comparisonCounts);
  return CHANNELS.map((channel) => ({
    channel,
    today: (today.get(channel) ?? []).map((value, hour) => (hour < hoursBegun ? value : null)),
    comparison: comparison.get(channel) ?? [],
  }));
}

/** Counts per due day as the database adds them up; `dayIndex` 0 is the oldest of the 14. */
export interface SlaDayCount {
  dayIndex: number;
  due: number;
  met: number;
  missed: number;
}

export function slaSeries(counts: readonly SlaDayCount[], days: readonly string[]): SlaDay[] {
  return days.map((day, index) => {
    const found = counts.filter((entry) => entry.dayIndex === index);
    const due = found.reduce((sum, entry) => sum + entry.due, 0);
    const met = found.reduce((sum, entry) => sum + entry.met, 0);
    const missed = found.reduce((sum, entry) => sum + entry.missed, 0);
    return { day, due, met, missed, pending: due - met - missed, compliance: met + missed === 0 ? null : met / (met + missed) };
  });
}

/** `GET /api/v1/reports/charts` takes no query. */
export const boardChartsQuerySchema = z.object({}).strict();
