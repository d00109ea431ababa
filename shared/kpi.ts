/**
 * The KPIs of the templates' reports, as pure arithmetic over plain ticket facts, and the
 * report periods (day, week from Monday, month) in China local time (UTC+8, no DST).
 *
 * A period's tickets are those CREATED in it: every KPI of a row describes that cohort.
 * Definitions (docs/technical/shared.md repeats them):
 * - volume: tickets created in the period.
 * - average first-response time: mean of (first agent reply − created) over the tickets
 *   that have a reply; null when none has. A phone call answered without a written reply
 *   has no first response recorded, so it is not counted.
 * - average handling time: mean of (completed − created) over the resolved tickets (those
 *   with a completion time: completed, or closed after work); null when none is.
 * - overdue: a ticket resolved after its due time, or still open after it at `asOf`.
 *   Overdue rate = overdue / volume (the templates' 2 of 12 → 16.67%).
 * - SLA compliance: resolved by the due time / tickets whose SLA outcome is known (resolved,
 *   or open and already overdue); open tickets still within their time are not judged yet.
 * - first-contact resolution: resolved tickets where the customer never had to write again
 *   after the agent's first reply (a reopen by the customer is such a message); with no
 *   written reply, the customer's first contact must be their only one. Rate = those /
 *   resolved.
 * - CSAT (满意度, shared/csat.ts), over the period's tickets that have a survey: one answer's
 *   score is the mean of its four ratings; CSAT average = the mean of the answers' scores
 *   (= their rating points / (4 × answers), kept in integers so no rounding creeps in);
 *   response rate = answered surveys / surveys sent (an invitation the channel accepted; a
 *   survey never sent, e.g. a phone call's, is in neither). Null when nothing was answered /
 *   sent; never made up.
 */
import { DEFAULT_ORG_TIME_ZONE, instantOfWallClock, wallClockOf } from './timeZone.js';
import type { Channel, TicketGroup, TicketStatus, TicketType } from './domain.js';

/** What the KPIs need to know about one ticket. Times are epoch ms. */
export interface TicketFacts {
  channel: Channel;
  type: TicketType;
  /** The topic group (技能组) routing gave it; null when none. */
  group: TicketGroup | null;
  assigneeId: string | null;
  /** The assignee's display name; null when unassigned. */
  assigneeName: string | null;
  status: TicketStatus;
  createdAt: number;
  firstResponseAt: number | null;
  completedAt: number | null;
  dueAt: number;
  /** Customer messages on the ticket. */
  inboundMessages: number;
  /** Customer messages received after the first agent reply (0 without a reply). */
  inboundAfterFirstResponse: number;
  /** Whether its satisfaction survey was sent, or answered (which proves it arrived); absent = no survey. */
  csatSent?: boolean;
  /** The sum of the answer's four ratings (4–20); null or absent = not answered. */
  csatPoints?: number | null;
}

/** The KPIs of a set of tickets. Rates are fractions (0.1667), durations milliseconds; null = nothing to measure. */
export interface Kpis {
  volume: number;
  responded: number;
  avgFirstResponseMs: number | null;
  resolved: number;
  avgHandlingMs: number | null;
  /** Tickets whose SLA outcome is known (resolved, or overdue while open). */
  slaJudged: number;
  slaMet: number;
  slaCompliance: number | null;
  overdue: number;
  overdueRate: number | null;
  firstContactResolved: number;
  firstContactResolution: number | null;
  /** Mean score (1–5) of the answered surveys; null when none was answered. */
  csatAverage: number | null;
  /** Answered / sent surveys; null when none was sent. */
  csatResponseRate: number | null;
}

/**
 * The counts and sums every KPI is a ratio or mean of. A database can add them up per group
 * itself (server/reports/), then `kpisFromTotals` does the same arithmetic as for facts.
 */
export interface KpiTotals {
  volume: number;
  responded: number;
  /** Sum of (first response − created) over the responded tickets, ms. */
  firstResponseTotalMs: number;
  resolved: number;
  /** Sum of (completed − created) over the resolved tickets, ms. */
  handlingTotalMs: number;
  overdue: number;
  slaMet: number;
  firstContactResolved: number;
  /** Surveys sent, surveys answered, and the answers' rating points (each answer 4–20). */
  csatSent: number;
  csatAnswered: number;
  csatPoints: number;
}

export const EMPTY_TOTALS: Readonly<KpiTotals> = {
  volume: 0,
  responded: 0,
  firstResponseTotalMs: 0,
  resolved: 0,
  handlingTotalMs: 0,
  overdue: 0,
  slaMet: 0,
  firstContactResolved: 0,
  csatSent: 0,
  csatAnswered: 0,
  csatPoints: 0,
};

export function addTotals(a: KpiTotals, b: KpiTotals): KpiTotals {
  return {
    volume: a.volume + b.volume,
    responded: a.responded + b.responded,
    firstResponseTotalMs: a.firstResponseTotalMs + b.firstResponseTotalMs,
    resolved: a.resolved + b.resolved,
    handlingTotalMs: a.handlingTotalMs + b.handlingTotalMs,
    overdue: a.overdue + b.overdue,
    slaMet: a.slaMet + b.slaMet,
    firstContactResolved: a.firstContactResolved + b.firstContactResolved,
    csatSent: a.csatSent + b.csatSent,
    csatAnswered: a.csatAnswered + b.csatAnswered,
    csatPoints: a.csatPoints + b.csatPoints,
  };
}

/** Whether a ticket missed its due time, judged at `asOf` when it is still open. */
export function isOverdue(ticket: Pick<TicketFacts, 'completedAt' | 'dueAt'>, asOf: number): boolean {
  return ticket.completedAt === null ? asOf > ticket.dueAt : ticket.completedAt > ticket.dueAt;
}

/** Resolved on the first contact (see the module's definition); only resolved tickets can be. */
export function isFirstContactResolution(ticket: TicketFacts): boolean {
  if (ticket.completedAt === null) return false;
  return ticket.firstResponseAt === null ? ticket.inboundMessages <= 1 : ticket.inboundAfterFirstResponse === 0;
}

/** One ticket's contribution to the totals. */
export function totalsOfTicket(ticket: TicketFacts, asOf: number): KpiTotals {
  const overdue = isOverdue(ticket, asOf);
  return {
    volume: 1,
    responded: ticket.firstResponseAt === null ? 0 : 1,
    firstResponseTotalMs: ticket.firstResponseAt === null ? 0 : ticket.firstResponseAt - ticket.createdAt,
    resolved: ticket.completedAt === null ? 0 : 1,
    handlingTotalMs: ticket.completedAt === null ? 0 : ticket.completedAt - ticket.createdAt,
    overdue: overdue ? 1 : 0,
    slaMet: !overdue && ticket.completedAt !== null ? 1 : 0,
    firstContactResolved: isFirstContactResolution(ticket) ? 1 : 0,
    csatSent: ticket.csatSent ? 1 : 0,
    csatAnswered: typeof ticket.csatPoints === 'number' ? 1 : 0,
    csatPoints: typeof ticket.csatPoints === 'number' ? ticket.csatPoints : 0,
  };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** The KPIs as ratios and means of the totals. */
export function kpisFromTotals(totals: KpiTotals): Kpis {
  const slaJudged = totals.slaMet + totals.overdue;
  return {
    volume: totals.volume,
    responded: totals.responded,
    avgFirstResponseMs: ratio(totals.firstResponseTotalMs, totals.responded),
    resolved: totals.resolved,
    avgHandlingMs: ratio(totals.handlingTotalMs, totals.resolved),
    slaJudged,
    slaMet: totals.slaMet,
    slaCompliance: ratio(totals.slaMet, slaJudged),
    overdue: totals.overdue,
    overdueRate: ratio(totals.overdue, totals.volume),
    firstContactResolved: totals.firstContactResolved,
    firstContactResolution: ratio(totals.firstContactResolved, totals.resolved),
    csatAverage: ratio(totals.csatPoints, 4 * totals.csatAnswered),
    csatResponseRate: ratio(totals.csatAnswered, totals.csatSent),
  };
}

/** The KPIs of `tickets`, with overdue judged at `asOf`. */
export function computeKpis(tickets: readonly TicketFacts[], asOf: number): Kpis {
  return kpisFromTotals(tickets.reduce((totals, ticket) => addTotals(totals, totalsOfTicket(ticket, asOf)), EMPTY_TOTALS));
}

// ---------------------------------------------------------------------------------------
// Grouping

export const REPORT_DIMENSIONS = ['channel', 'type', 'group', 'agent'] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

/** One row of a report: the tickets of one channel, type, group or agent. `key` null = no group / unassigned. */
export interface KpiRow {
  key: string | null;
  /** The agent's display name (agent rows); null otherwise. */
  name: string | null;
  kpis: Kpis;
}

function keyOf(ticket: TicketFacts, by: ReportDimension): string | null {
  switch (by) {
    case 'channel':
      return ticket.channel;
    case 'type':
      return ticket.type;
    case 'group':
      return ticket.group;
    case 'agent':
      return ticket.assigneeId;
  }
}

/** The totals of one group, with the agent's name for agent rows. */
export interface GroupTotals {
  key: string | null;
  name: string | null;
  totals: KpiTotals;
}

/**
 * The rows of a report by `by` from per-group totals (a key may come more than once; its
 * totals are added): every value of `fixedKeys` in that order (so a channel with no tickets
 * still shows as 0), then any other key met (agents by name, Chinese collation), then the
 * null key (no group / unassigned) when present.
 */
export function kpiRows(groups: readonly GroupTotals[], by: ReportDimension, fixedKeys: readonly string[] = []): KpiRow[] {
  const buckets = new Map<string | null, KpiTotals>(fixedKeys.map((key) => [key, EMPTY_TOTALS]));
  const names = new Map<string, string>();
  for (const group of groups) {
    buckets.set(group.key, addTotals(buckets.get(group.key) ?? EMPTY_TOTALS, group.totals));
    if (by === 'agent' && group.key !== null && group.name) names.set(group.key, group.name);
  }
  const nameOf = (key: string) => names.get(key) ?? key;
  const others = [...buckets.keys()]
    .filter((key): key is string => key !== null && !fixedKeys.includes(key))
    .sort((a, b) => nameOf(a).localeCompare(nameOf(b), 'zh-CN') || a.localeCompare(b));
  const order: Array<string | null> = [...fixedKeys, ...others, ...(buckets.has(null) ? [null] : [])];
  return order.map((key) => ({
    key,
    name: by === 'agent' && key !== null ? nameOf(key) : null,
    kpis: kpisFromTotals(buckets.get(key) ?? EMPTY_TOTALS),
  }));
}

/** The rows of a report by `by` over ticket facts (see `kpiRows` for the order). */
export function groupKpis(tickets: readonly TicketFacts[], by: ReportDimension, asOf: number, fixedKeys: readonly string[] = []): KpiRow[] {
  const groups = tickets.map((ticket) => ({ key: keyOf(ticket, by), name: ticket.assigneeName, totals: totalsOfTicket(ticket, asOf) }));
  return kpiRows(groups, by, fixedKeys);
}

// ---------------------------------------------------------------------------------------
// Periods in the organisation's time zone (policies `timeZone`, default Asia/Shanghai)

export const REPORT_PERIODS = ['day', 'week', 'month'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

/** A report's time range: [start, end) in epoch ms, and the local dates it covers. */
export interface PeriodRange {
  period: ReportPeriod;
  start: number;
  end: number;
  /** First local day, `YYYY-MM-DD`. */
  firstDay: string;
  /** Last local day (inclusive), `YYYY-MM-DD`. */
  lastDay: string;
}

const DAY_MS = 24 * 60 * 60_000;

/** `YYYY-MM-DD` as year, month (1–12), day; null when it is not a real calendar date. */
export function parseLocalDate(text: string): { year: number; month: number; day: number } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return null;
  return { year, month, day };
}

/** The calendar day of an instant in `timeZone` (the organisation's), `YYYY-MM-DD`. */
export function localDateOf(epochMs: number, timeZone: string = DEFAULT_ORG_TIME_ZONE): string {
  return new Date(wallClockOf(timeZone, epochMs)).toISOString().slice(0, 10);
}

/**
 * The day, Monday-to-Sunday week or month of `timeZone` that contains the local date `date`
 * (`YYYY-MM-DD`). Bounds are the zone's local midnights, so a day with a daylight-saving jump
 * is 23 or 25 hours long; a midnight the zone skips starts the day at the moment after the jump.
 */
export function periodRange(period: ReportPeriod, date: string, timeZone: string = DEFAULT_ORG_TIME_ZONE): PeriodRange {
  const parsed = parseLocalDate(date);
  if (!parsed) throw new RangeError(`${date} is not a date like 2024-11-08`);
  // Wall-clock midnights (ms on a UTC time line), turned into instants at the end.
  const wallDay = Date.UTC(parsed.year, parsed.month - 1, parsed.day);
  let wallStart: number;
  let wallEnd: number;
  switch (period) {
    case 'day':
      wallStart = wallDay;
      wallEnd = wallDay + DAY_MS;
      break;
    case 'week': {
      const daysSinceMonday = (new Date(wallDay).getUTCDay() + 6) % 7;
      wallStart = wallDay - daysSinceMonday * DAY_MS;
      wallEnd = wallStart + 7 * DAY_MS;
      break;
    }
    case 'month':
      wallStart = Date.UTC(parsed.year, parsed.month - 1, 1);
      wallEnd = Date.UTC(parsed.year, parsed.month, 1);
      break;
  }
  const start = instantOfWallClock(timeZone, wallStart);
  const end = instantOfWallClock(timeZone, wallEnd);
  return { period, start, end, firstDay: localDateOf(start, timeZone), lastDay: localDateOf(end - 1, timeZone) };
}
