/**
 * The lead's charts (issue 11): contacts per hour per channel today against the same weekday
 * a week earlier, and SLA compliance per day over the last 14 days, all in China local time
 * (UTC+8, no daylight saving, like kpi.ts). `GET /api/v1/reports/charts` answers this shape;
 * the server adds the rows up (server/reports/reportRepository.ts), the pure definitions are here.
 *
 * Definitions (docs/technical/renderer.md, "Board charts", repeats them):
 * - a contact is a ticket CREATED in that hour (the same cohort as the reports' volume: a
 *   customer writing again on an open ticket joins it and is not a new contact);
 * - the hours are 0–23 of the China-local day; hours still to come today are null, not 0;
 * - a day's SLA tickets are those DUE that China-local day (`due_at` in the day), whatever day
 *   they were created. Each is met (resolved — completed or closed — at or before its due
 *   time), missed (resolved after it, or still open after it), or pending (open and its due
 *   time not reached yet: only today has those). Compliance = met / (met + missed); null on a
 *   day with nothing judged. A reopened ticket is open again, so it is judged as open.
 */
import { z } from 'zod';
import { CHANNELS, channelSchema, type Channel } from './domain.js';
import { localDateOf, periodRange } from './kpi.js';

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
  timeZone: z.literal('Asia/Shanghai'),
  /** When it was computed (server clock): the current hour and what is pending are judged at it. */
  asOf: z.number().int().nonnegative(),
  /** Today, China time, and the same weekday a week earlier. */
  day: localDay,
  comparisonDay: localDay,
  /** One per channel, in the order of CHANNELS. */
  hourly: z.array(hourlyChannelSeriesSchema).max(CHANNELS.length),
  /** The last 14 China-local days, oldest first, today last. */
  sla: z.array(slaDaySchema).length(SLA_CHART_DAYS),
});
export type BoardCharts = z.infer<typeof boardChartsSchema>;

/** The time ranges the charts cover at `asOf`, each [start, end) in epoch ms. */
export interface ChartRanges {
  day: string;
  comparisonDay: string;
  today: { start: number; end: number };
  comparison: { start: number; end: number };
  /** The 14 days, today included; `days[0]` is the oldest. */
  slaDays: string[];
  sla: { start: number; end: number };
  /** Hours of today already begun at `asOf` (1–24). */
  hoursBegun: number;
}

export function chartRanges(asOf: number): ChartRanges {
  const today = periodRange('day', localDateOf(asOf));
  const comparisonStart = today.start - COMPARISON_DAYS_BACK * DAY_MS;
  const slaStart = today.start - (SLA_CHART_DAYS - 1) * DAY_MS;
  return {
    day: today.firstDay,
    comparisonDay: localDateOf(comparisonStart),
    today: { start: today.start, end: today.end },
    comparison: { start: comparisonStart, end: comparisonStart + DAY_MS },
    slaDays: Array.from({ length: SLA_CHART_DAYS }, (_, index) => localDateOf(slaStart + index * DAY_MS)),
    sla: { start: slaStart, end: today.end },
    hoursBegun: Math.min(CHART_HOURS, Math.floor((asOf - today.start) / HOUR_MS) + 1),
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
