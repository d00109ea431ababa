/**
 * Reports over the server database (tables `tickets`, `messages`, `users`, the report rollup),
 * through the SQL seam, so the same code serves SQLite and PostgreSQL. Read-only. A month holds
 * up to a million tickets — more than can be visited in the 2 s a report may take — so `report`
 * adds up the rollup's per-day partial sums (reportRollup.ts, kept by the store's writes) and
 * shared/kpi.ts turns them into KPIs. `reportFromTickets` has the database add up the same
 * totals from the tickets themselves, and `ticketFacts` reads them one by one for shared/kpi.ts
 * to total itself — the tests hold the three to the same answers, so neither the rollup nor
 * the SQL spelling of a definition can drift from the TypeScript one.
 */
import {
  CHANNELS,
  TICKET_GROUPS,
  TICKET_STATUSES,
  TICKET_TYPES,
  type Channel,
  type TicketGroup,
  type TicketStatus,
  type TicketType,
} from '../../shared/domain.js';
import {
  EMPTY_TOTALS,
  addTotals,
  kpiRows,
  kpisFromTotals,
  periodRange,
  type GroupTotals,
  type KpiTotals,
  type PeriodRange,
  type ReportDimension,
  type TicketFacts,
} from '../../shared/kpi.js';
import { fixedReportKeys, type Report, type ReportRequest } from '../../shared/reports.js';
import { chartRanges, hourlySeries, slaSeries, type BoardCharts, type HourCount, type HourSegment } from '../../shared/charts.js';
import { DEFAULT_ORG_TIME_ZONE } from '../../shared/timeZone.js';
import type { SqlDialect, SqlExecutor } from '../db/sql.js';
import { DAY_MS, ROLLUP_TIME_ZONE, localDayOf } from './reportRollup.js';

/** An hour of the charts' stretches, when no jump makes one longer or shorter. */
const HOUR_MS = 3_600_000;

export interface ReportRepository {
  /** The facts of every ticket created in [range.start, range.end), one by one (small periods, and the tests' cross-check). */
  ticketFacts(range: Pick<PeriodRange, 'start' | 'end'>): Promise<TicketFacts[]>;
  /**
   * The report of `request` in `timeZone` (the organisation's, read by the caller at query time),
   * open tickets judged overdue as of `asOf`: added up from the rollup (reportRollup.ts) when
   * the zone is the rollup's, else from the tickets themselves (the rollup's rows are days of
   * ROLLUP_TIME_ZONE, and a day of another zone is not a sum of those).
   */
  report(request: ReportRequest, asOf: number, timeZone?: string): Promise<Report>;
  /** The same report added up from the tickets themselves: the reference the tests hold the rollup to. */
  reportFromTickets(request: ReportRequest, asOf: number, timeZone?: string): Promise<Report>;
  /** The Board's charts as of `asOf` in `timeZone` (shared/charts.ts): two statements, one range of `tickets_created` (hourly) and one of `tickets_due` (SLA). */
  charts(asOf: number, timeZone?: string): Promise<BoardCharts>;
}

interface FactsRow {
  channel: string;
  type: string;
  ticket_group: string | null;
  assignee_id: string | null;
  assignee_name: string | null;
  status: string;
  created_at: number;
  first_response_at: number | null;
  completed_at: number | null;
  due_at: number;
  inbound_messages: number | string;
  inbound_after_first_response: number | string;
  csat_sent: number | string;
  csat_points: number | string | null;
}

/**
 * A survey counts as sent once its channel accepted the invitation (`sent_at`), or once it
 * was answered (an answer proves the link arrived, even if the node died before recording the send).
 */
export const CSAT_SENT_SQL = 'CASE WHEN s.sent_at IS NOT NULL OR s.answered_at IS NOT NULL THEN 1 ELSE 0 END';

/** The ticket's topic group, read from its `routing` JSON (the one place the two dialects differ). */
function routingGroupSql(dialect: SqlDialect, alias: string): string {
  return dialect === 'postgres' ? `(${alias}.routing::jsonb ->> 'group')` : `json_extract(${alias}.routing, '$.group')`;
}

function factsSql(dialect: SqlDialect): string {
  return `
    SELECT t.channel, t.type, ${routingGroupSql(dialect, 't')} AS ticket_group,
           t.assignee_id, COALESCE(u.display_name, t.assignee_name) AS assignee_name,
           t.status, t.created_at, t.first_response_at, t.completed_at, t.due_at,
           (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'inbound') AS inbound_messages,
           (SELECT COUNT(*) FROM messages m
             WHERE m.ticket_id = t.id AND m.direction = 'inbound'
               AND t.first_response_at IS NOT NULL AND m.created_at > t.first_response_at) AS inbound_after_first_response,
           ${CSAT_SENT_SQL} AS csat_sent,
           CASE WHEN s.answered_at IS NOT NULL THEN s.attitude + s.speed + s.resolution + s.professionalism END AS csat_points
      FROM tickets t
      LEFT JOIN users u ON u.id = t.assignee_id
      LEFT JOIN csat_surveys s ON s.ticket_id = t.id
     WHERE t.created_at >= ? AND t.created_at < ?`;
}

/** Each group's key as SQL; `by` only ever selects one of these fixed texts, never reaches the SQL itself. */
function groupKeySql(dialect: SqlDialect, by: ReportDimension): string {
  switch (by) {
    case 'channel':
      return 't.channel';
    case 'type':
      return 't.type';
    case 'group':
      return routingGroupSql(dialect, 't');
    case 'agent':
      return 't.assignee_id';
  }
}

/**
 * Per group: the totals of shared/kpi.ts, each spelt as in `totalsOfTicket` (overdue judged at
 * the first parameter, then the period's bounds). The message subqueries run only for resolved
 * tickets (CASE evaluates lazily on both databases) and seek the `messages_ticket` index. No
 * join: agents' current names are read apart (a month is up to a million rows; a join per row
 * costs more than one read of `users`).
 */
function totalsSql(dialect: SqlDialect, by: ReportDimension): string {
  const key = groupKeySql(dialect, by);
  return `
    SELECT ${key} AS group_key,
           ${by === 'agent' ? 'MAX(t.assignee_name)' : 'NULL'} AS group_name,
           COUNT(*) AS volume,
           SUM(CASE WHEN t.first_response_at IS NOT NULL THEN 1 ELSE 0 END) AS responded,
           SUM(CASE WHEN t.first_response_at IS NOT NULL THEN t.first_response_at - t.created_at ELSE 0 END) AS first_response_total,
           SUM(CASE WHEN t.completed_at IS NOT NULL THEN 1 ELSE 0 END) AS resolved,
           SUM(CASE WHEN t.completed_at IS NOT NULL THEN t.completed_at - t.created_at ELSE 0 END) AS handling_total,
           SUM(CASE WHEN (t.completed_at IS NULL AND t.due_at < ?) OR t.completed_at > t.due_at THEN 1 ELSE 0 END) AS overdue,
           SUM(CASE WHEN t.completed_at IS NOT NULL AND t.completed_at <= t.due_at THEN 1 ELSE 0 END) AS sla_met,
           SUM(CASE
                 WHEN t.completed_at IS NULL THEN 0
                 WHEN t.first_response_at IS NOT NULL THEN
                   CASE WHEN EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id AND m.created_at > t.first_response_at AND m.direction = 'inbound')
                        THEN 0 ELSE 1 END
                 WHEN (SELECT COUNT(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'inbound') <= 1 THEN 1
                 ELSE 0
               END) AS first_contact_resolved,
           SUM(${CSAT_SENT_SQL}) AS csat_sent,
           SUM(CASE WHEN s.answered_at IS NOT NULL THEN 1 ELSE 0 END) AS csat_answered,
           SUM(CASE WHEN s.answered_at IS NOT NULL THEN s.attitude + s.speed + s.resolution + s.professionalism ELSE 0 END) AS csat_points
      FROM tickets t
      LEFT JOIN csat_surveys s ON s.ticket_id = t.id
     WHERE t.created_at >= ? AND t.created_at < ?
     GROUP BY ${key}`;
}

/** Each group's key over the rollup's columns, as `groupKeySql` reads it from a ticket ('' is the rollup's "none"). */
function rollupGroupKeySql(by: ReportDimension): string {
  switch (by) {
    case 'channel':
      return 'r.channel';
    case 'type':
      return 'r.type';
    case 'group':
      return "NULLIF(r.ticket_group, '')";
    case 'agent':
      return "NULLIF(r.assignee_id, '')";
  }
}

/**
 * Per group: the same totals as `totalsSql`, added up from the rollup's rows of the period.
 * Open tickets count as overdue here only when their whole due day ended by `asOf` (first
 * parameter); those due on the day `asOf` falls in are judged one by one (`OPEN_DUE_TODAY_SQL`).
 */
function rollupTotalsSql(by: ReportDimension): string {
  const key = rollupGroupKeySql(by);
  return `
    SELECT 0 AS part, ${key} AS group_key,
           ${by === 'agent' ? "NULLIF(MAX(r.assignee_name), '')" : 'NULL'} AS group_name,
           SUM(r.volume) AS volume,
           SUM(r.responded) AS responded,
           SUM(r.first_response_total) AS first_response_total,
           SUM(r.resolved) AS resolved,
           SUM(r.handling_total) AS handling_total,
           SUM(r.overdue_closed) + SUM(CASE WHEN r.open_due_day + ${String(DAY_MS)} <= ? THEN r.open_tickets ELSE 0 END) AS overdue,
           SUM(r.sla_met) AS sla_met,
           SUM(r.first_contact_resolved) AS first_contact_resolved,
           SUM(r.csat_sent) AS csat_sent,
           SUM(r.csat_answered) AS csat_answered,
           SUM(r.csat_points) AS csat_points
      FROM report_rollup r
     WHERE r.day >= ? AND r.day < ?
     GROUP BY ${key}`;
}

/**
 * Per group: the period's open tickets due in [the local midnight of asOf, asOf), a range of
 * `tickets_due (due_at, completed_at)` (at most one day's due tickets).
 */
function openDueTodaySql(dialect: SqlDialect, by: ReportDimension): string {
  const key = groupKeySql(dialect, by);
  // The columns of rollupTotalsSql, so the two are one UNION ALL statement: one snapshot of both tables.
  return `
    SELECT 1 AS part, ${key} AS group_key, NULL AS group_name, 0 AS volume, 0 AS responded, 0 AS first_response_total,
           0 AS resolved, 0 AS handling_total, COUNT(*) AS overdue, 0 AS sla_met, 0 AS first_contact_resolved,
           0 AS csat_sent, 0 AS csat_answered, 0 AS csat_points
      FROM tickets t
     WHERE t.due_at >= ? AND t.due_at < ? AND t.completed_at IS NULL AND t.created_at >= ? AND t.created_at < ?
     GROUP BY ${key}`;
}

type Counted = number | string;

interface TotalsRow {
  group_key: string | null;
  group_name: string | null;
  volume: Counted;
  responded: Counted;
  first_response_total: Counted;
  resolved: Counted;
  handling_total: Counted;
  overdue: Counted;
  sla_met: Counted;
  first_contact_resolved: Counted;
  csat_sent: Counted;
  csat_answered: Counted;
  csat_points: Counted;
}

/**
 * A group's key as the report shows it: an unknown topic group (a hand-edited routing) is "no
 * group", like none; a channel or type no schema allows stops the report rather than being
 * shown or guessed into another row.
 */
function reportKey(by: ReportDimension, key: string | null): string | null {
  if (by === 'group') return isOneOf<TicketGroup>(TICKET_GROUPS, key) ? key : null;
  if ((by === 'channel' && !isOneOf<Channel>(CHANNELS, key)) || (by === 'type' && !isOneOf<TicketType>(TICKET_TYPES, key))) {
    throw new Error(`A ticket of the period has an unknown ${by} (${String(key)}); the report is not made.`);
  }
  return key;
}

/** PostgreSQL answers SUM and COUNT as NUMERIC / BIGINT text; SQLite as numbers. */
function totalsOf(row: TotalsRow): KpiTotals {
  return {
    volume: Number(row.volume),
    responded: Number(row.responded),
    firstResponseTotalMs: Number(row.first_response_total),
    resolved: Number(row.resolved),
    handlingTotalMs: Number(row.handling_total),
    overdue: Number(row.overdue),
    slaMet: Number(row.sla_met),
    firstContactResolved: Number(row.first_contact_resolved),
    csatSent: Number(row.csat_sent),
    csatAnswered: Number(row.csat_answered),
    csatPoints: Number(row.csat_points),
  };
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** A row as facts; a value no schema allows (a hand-edited database) is reported, never guessed into a KPI. */
function factsOf(row: FactsRow): TicketFacts {
  if (!isOneOf<Channel>(CHANNELS, row.channel) || !isOneOf<TicketType>(TICKET_TYPES, row.type) || !isOneOf<TicketStatus>(TICKET_STATUSES, row.status)) {
    throw new Error(`A ticket row has an unknown channel, type or status (${row.channel}, ${row.type}, ${row.status}); the report is not made.`);
  }
  return {
    channel: row.channel,
    type: row.type,
    // Tickets from before routing, or a group routing no longer knows, are "no group".
    group: isOneOf<TicketGroup>(TICKET_GROUPS, row.ticket_group) ? row.ticket_group : null,
    assigneeId: row.assignee_id,
    assigneeName: row.assignee_id === null ? null : row.assignee_name,
    status: row.status,
    createdAt: Number(row.created_at),
    firstResponseAt: row.first_response_at === null ? null : Number(row.first_response_at),
    completedAt: row.completed_at === null ? null : Number(row.completed_at),
    dueAt: Number(row.due_at),
    inboundMessages: Number(row.inbound_messages),
    inboundAfterFirstResponse: Number(row.inbound_after_first_response),
    csatSent: Number(row.csat_sent) === 1,
    csatPoints: row.csat_points === null ? null : Number(row.csat_points),
  };
}

/**
 * The index of the stretch of `column` among consecutive stretches starting at `start`, in SQL,
 * with its parameters. Stretches all `width` long (every day of a zone without daylight saving,
 * the default Asia/Shanghai among them) are found by arithmetic, as before zones were read;
 * otherwise (a 23- or 25-hour day, a wall-clock hour repeated or skipped) by a CASE over their
 * ends. NULL past the last.
 */
function stretchIndex(column: string, start: number, ends: readonly number[], width: number): { sql: string; params: number[] } {
  if (ends.every((end, index) => end === start + (index + 1) * width)) return { sql: `CAST((${column} - ?) / ${String(width)} AS INTEGER)`, params: [start] };
  return { sql: `CASE ${ends.map((_, index) => `WHEN ${column} < ? THEN ${String(index)}`).join(' ')} END`, params: [...ends] };
}

/**
 * Tickets created per channel and local hour stretch (shared/charts.ts `HourSegment`), today
 * (`which` 0) and on the comparison day (1): one statement, each half a range seek of
 * `tickets_created (created_at, id)`; the caller maps stretches to hours.
 * GROUP BY by position, so PostgreSQL does not see the stretch's parameters twice.
 */
function hourlyQuery(halves: ReadonlyArray<{ start: number; end: number; segments: readonly HourSegment[] }>): { sql: string; params: number[] } {
  const parts = halves.map(({ start, end, segments }, which) => {
    const stretch = stretchIndex(
      't.created_at',
      start,
      segments.map((segment) => segment.end),
      HOUR_MS,
    );
    return {
      sql: `SELECT ${String(which)} AS which, t.channel AS channel, ${stretch.sql} AS stretch, COUNT(*) AS n
              FROM tickets t WHERE t.created_at >= ? AND t.created_at < ? GROUP BY 1, 2, 3`,
      params: [...stretch.params, start, end],
    };
  });
  return { sql: parts.map((part) => part.sql).join(' UNION ALL '), params: parts.flatMap((part) => part.params) };
}

/**
 * Tickets DUE per local day of the 14, met and missed as shared/charts.ts `slaOutcome`
 * judges them (open and past due at asOf = missed), read from the
 * `tickets_due (due_at, completed_at)` index alone (migration 021).
 * Parameters: the day index's (see `stretchIndex`), asOf, due-from, due-to.
 */
function slaDaysSql(dayIndex: string): string {
  return `
  SELECT ${dayIndex} AS day_index,
         COUNT(*) AS due,
         SUM(CASE WHEN t.completed_at IS NOT NULL AND t.completed_at <= t.due_at THEN 1 ELSE 0 END) AS met,
         SUM(CASE WHEN t.completed_at > t.due_at OR (t.completed_at IS NULL AND t.due_at < ?) THEN 1 ELSE 0 END) AS missed
    FROM tickets t
   WHERE t.due_at >= ? AND t.due_at < ?
   GROUP BY 1`;
}

/** `slaDaysSql` for 14 days of 24 hours. Parameters: the first day's midnight, asOf, due-from, due-to. */
export const SLA_DAYS_SQL = slaDaysSql(`CAST((t.due_at - ?) / ${String(DAY_MS)} AS INTEGER)`);

interface HourRow {
  which: number | string;
  channel: string;
  stretch: number | string | null;
  n: number | string;
}

interface SlaDayRow {
  day_index: number | string;
  due: Counted;
  met: Counted;
  missed: Counted;
}

/** The charts as of `asOf` in `timeZone` from the two statements above. */
async function readCharts(sql: SqlExecutor, asOf: number, timeZone: string): Promise<BoardCharts> {
  const ranges = chartRanges(asOf, timeZone);
  const hourly = hourlyQuery([
    { ...ranges.today, segments: ranges.todayHours },
    { ...ranges.comparison, segments: ranges.comparisonHours },
  ]);
  const dayIndex = stretchIndex('t.due_at', ranges.sla.start, ranges.slaDayEnds, DAY_MS);
  const [hours, days] = await Promise.all([
    sql.all<HourRow>(hourly.sql, hourly.params),
    sql.all<SlaDayRow>(dayIndex.params.length === 1 ? SLA_DAYS_SQL : slaDaysSql(dayIndex.sql), [...dayIndex.params, asOf, ranges.sla.start, ranges.sla.end]),
  ]);
  // A channel no schema allows (a hand-edited row) is left out, as on the board.
  const counts = (which: number, segments: readonly HourSegment[]): HourCount[] =>
    hours
      .filter((row) => Number(row.which) === which && row.stretch !== null && isOneOf<Channel>(CHANNELS, row.channel))
      .map((row) => ({ channel: row.channel as Channel, hour: segments[Number(row.stretch)]!.hour, contacts: Number(row.n) }));
  return {
    timeZone,
    asOf,
    day: ranges.day,
    comparisonDay: ranges.comparisonDay,
    hourly: hourlySeries(counts(0, ranges.todayHours), counts(1, ranges.comparisonHours), ranges.hoursBegun),
    sla: slaSeries(
      days.map((row) => ({ dayIndex: Number(row.day_index), due: Number(row.due), met: Number(row.met), missed: Number(row.missed) })),
      ranges.slaDays,
    ),
  };
}

export function createReportRepository(sql: SqlExecutor): ReportRepository {
  const text = factsSql(sql.dialect);

  /** An agent's current name; the name written on their tickets when the user is gone. */
  async function currentNames(by: ReportDimension): Promise<Map<string, string> | null> {
    return by === 'agent'
      ? new Map((await sql.all<{ id: string; display_name: string }>('SELECT id, display_name FROM users')).map((u) => [u.id, u.display_name]))
      : null;
  }

  function groupsOf(by: ReportDimension, rows: TotalsRow[], names: Map<string, string> | null): GroupTotals[] {
    return rows.map((row) => ({
      key: reportKey(by, row.group_key),
      name: row.group_key === null ? null : (names?.get(row.group_key) ?? row.group_name),
      totals: totalsOf(row),
    }));
  }

  async function groupTotalsFromTickets(by: ReportDimension, range: Pick<PeriodRange, 'start' | 'end'>, asOf: number): Promise<GroupTotals[]> {
    const rows = await sql.all<TotalsRow>(totalsSql(sql.dialect, by), [asOf, range.start, range.end]);
    return groupsOf(by, rows, await currentNames(by));
  }

  async function groupTotalsFromRollup(by: ReportDimension, range: Pick<PeriodRange, 'start' | 'end'>, asOf: number): Promise<GroupTotals[]> {
    // One statement, so the rollup and today's due tickets are read in one snapshot: a ticket regrouped
    // between two reads would otherwise show up under a key the first read did not have.
    const both = await sql.all<TotalsRow & { part: number | string }>(`${rollupTotalsSql(by)} UNION ALL ${openDueTodaySql(sql.dialect, by)}`, [
      asOf,
      range.start,
      range.end,
      localDayOf(asOf),
      asOf,
      range.start,
      range.end,
    ]);
    const rows = both.filter((row) => Number(row.part) === 0);
    // The rollup keeps the key as text; a ticket's JSON group may come back as another type.
    const textKey = (key: string | number | null): string | null => (key === null ? null : String(key));
    for (const due of both.filter((row) => Number(row.part) === 1)) {
      const key = textKey(due.group_key);
      const row = rows.find((candidate) => textKey(candidate.group_key) === key);
      if (!row) throw new Error(`The report rollup has no row for open tickets of ${String(key)}; rebuild it (reportRollup.ts).`);
      row.overdue = Number(row.overdue) + Number(due.overdue);
    }
    return groupsOf(by, rows, await currentNames(by));
  }

  async function reportOf(
    request: ReportRequest,
    asOf: number,
    timeZone: string,
    totals: (by: ReportDimension, range: Pick<PeriodRange, 'start' | 'end'>, asOf: number) => Promise<GroupTotals[]>,
  ): Promise<Report> {
    const range = periodRange(request.period, request.date, timeZone);
    const groups = await totals(request.by, range, asOf);
    return {
      period: range.period,
      by: request.by,
      timeZone,
      firstDay: range.firstDay,
      lastDay: range.lastDay,
      start: range.start,
      end: range.end,
      asOf,
      rows: kpiRows(groups, request.by, fixedReportKeys(request.by)),
      total: kpisFromTotals(groups.reduce((total, group) => addTotals(total, group.totals), EMPTY_TOTALS)),
    };
  }

  const repository: ReportRepository = {
    async ticketFacts(range) {
      const rows = await sql.all<FactsRow>(text, [range.start, range.end]);
      return rows.map(factsOf);
    },
    // Without a zone (tests, the bench): the default, Asia/Shanghai.
    report(request, asOf, timeZone = DEFAULT_ORG_TIME_ZONE) {
      return reportOf(request, asOf, timeZone, timeZone === ROLLUP_TIME_ZONE ? groupTotalsFromRollup : groupTotalsFromTickets);
    },
    reportFromTickets(request, asOf, timeZone = DEFAULT_ORG_TIME_ZONE) {
      return reportOf(request, asOf, timeZone, groupTotalsFromTickets);
    },
    charts(asOf, timeZone = DEFAULT_ORG_TIME_ZONE) {
      return readCharts(sql, asOf, timeZone);
    },
  };
  return repository;
}
