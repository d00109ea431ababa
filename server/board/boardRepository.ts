/**
 * The channel board's figures from the server database, through the SQL seam (SQLite and
 * PostgreSQL alike). Read-only. The KPIs of the tickets created today are the day report by
 * channel (server/reports/reportRepository.ts, shared/kpi.ts); the board adds what a report
 * does not know: the tickets open on each channel right now and those past due among them (two
 * index seeks, no table scan), the day's work whatever day the tickets were created (completed
 * today, CSAT answers received today: shared/board.ts BoardDayTotals), and each queue
 * (channel × group) as the agents' queue summary counts it.
 */
import { DEFAULT_POLICIES, firstResponseTargetMs, type Policies } from '../../shared/admin.js';
import { CHANNELS, type Channel } from '../../shared/domain.js';
import {
  CSAT_SATISFIED_MIN_POINTS,
  DEFAULT_BACKLOG_THRESHOLD,
  EMPTY_BOARD_DAY_TOTALS,
  MAX_BOARD_AGENTS,
  boardDayOf,
  isBoardChannel,
  type BoardAgent,
  type BoardDayTotals,
  type BoardSnapshot,
  type LiveChannelCounts,
} from '../../shared/board.js';
import { localDateOf, periodRange, type KpiRow } from '../../shared/kpi.js';
import type { QueueSummaryEntry } from '../../shared/queue.js';
import type { SqlExecutor } from '../db/sql.js';
import { readQueueSummary } from '../queueViewStore.js';
import type { ReportRepository } from '../reports/reportRepository.js';

export interface BoardRepository {
  /** Open tickets per channel now (every channel, zeros included). */
  liveCounts(): Promise<Map<Channel, LiveChannelCounts>>;
  /** The board as of `at`: live counts and the KPIs of the China-local day containing `at`. */
  snapshot(at: number): Promise<BoardSnapshot>;
  /** Each agent's oldest open ticket (agents holding none are left out); `viewingTicketId` is the publisher's to fill. */
  oldestOpenByAgent(): Promise<BoardAgent[]>;
  /** First-response misses of the day containing `at`, per channel (see boardRowSchema.firstResponseOverdue). */
  firstResponseOverdue(at: number): Promise<Map<Channel, number>>;
}

export const OPEN_STATUSES_SQL = "('unassigned', 'in_progress', 'awaiting_customer')";

/**
 * Pending = open and held by nobody (the queue view's "waiting", server/queueViewStore.ts):
 * seeks of the `tickets_assignee (assignee_id, status, channel)` index at NULL, one per open status.
 */
const PENDING_SQL = `SELECT t.channel AS channel, COUNT(*) AS n, SUM(CASE WHEN t.due_at < ? THEN 1 ELSE 0 END) AS overdue
  FROM tickets t WHERE t.assignee_id IS NULL AND t.status IN ${OPEN_STATUSES_SQL} GROUP BY t.channel`;

/**
 * In progress = open and held by an agent. `assignee_id` references `users`, so walking the
 * users and seeking each one's open tickets in `tickets_assignee` counts every held ticket
 * without scanning the table (CROSS JOIN keeps that order on SQLite; 20,000 open tickets in a
 * table of 230,000: 8 ms instead of 200 — bench/board.ts).
 */
const IN_PROGRESS_SQL = `SELECT t.channel AS channel, COUNT(*) AS n, SUM(CASE WHEN t.due_at < ? THEN 1 ELSE 0 END) AS overdue
  FROM users u CROSS JOIN tickets t WHERE t.assignee_id = u.id AND t.status IN ${OPEN_STATUSES_SQL} GROUP BY t.channel`;

/**
 * The tickets `t` finished in a range of completion times (two parameters), completed or since
 * closed, whatever day they were created (a reopen clears the completion time,
 * shared/ticketRules.ts, so an open ticket never has one in the range). One seek of the partial
 * `tickets_finished_at` index (migration 032): SQLite uses a partial index only when its
 * predicate is one of the query's terms as written, so the status term must stay word for word
 * `status IN ('completed', 'closed')` (the migration's test checks the plan). Closed tickets are
 * most of the table: without that index this is a table scan.
 */
export const FINISHED_IN_RANGE_WHERE = "t.status IN ('completed', 'closed') AND t.completed_at >= ? AND t.completed_at < ?";

/** The tickets finished in the day, by channel (FINISHED_IN_RANGE_WHERE). */
export const COMPLETED_IN_DAY_SQL = `SELECT t.channel AS channel, COUNT(*) AS n, SUM(t.completed_at - t.created_at) AS handling,
       SUM(CASE WHEN t.completed_at > t.due_at THEN 1 ELSE 0 END) AS late
  FROM tickets t WHERE ${FINISHED_IN_RANGE_WHERE} GROUP BY t.channel`;

/**
 * The satisfaction answers received in the day, by the channel of their ticket, and the satisfied
 * among them: the surveys read, each one's ticket looked up by id. CROSS JOIN keeps that order on
 * SQLite, whose planner would otherwise walk every ticket in an index's order (`tickets_queue`
 * until SQLite 036; to group by channel) and look up each one's survey: a scan of the whole tickets table.
 */
export const CSAT_ANSWERED_IN_DAY_SQL = `SELECT t.channel AS channel, COUNT(*) AS n,
       SUM(CASE WHEN s.attitude + s.speed + s.resolution + s.professionalism >= ${String(CSAT_SATISFIED_MIN_POINTS)} THEN 1 ELSE 0 END) AS satisfied
  FROM csat_surveys s CROSS JOIN tickets t WHERE t.id = s.ticket_id AND s.answered_at >= ? AND s.answered_at < ? GROUP BY t.channel`;

/**
 * Each agent's oldest open ticket: per agent, seeks of `tickets_assignee (assignee_id,
 * status, channel)` at their open tickets (a handful each) and a sort of those, never a table scan,
 * so it costs what IN_PROGRESS_SQL costs. No index of its own (no migration).
 */
const OLDEST_OPEN_SQL = `SELECT u.id AS agent_id, t.id AS ticket_id, t.created_at AS created_at
  FROM users u JOIN tickets t ON t.id = (
    SELECT o.id FROM tickets o WHERE o.assignee_id = u.id AND o.status IN ${OPEN_STATUSES_SQL} ORDER BY o.created_at, o.id LIMIT 1)
  WHERE u.role = 'agent' ORDER BY u.id LIMIT ${String(MAX_BOARD_AGENTS)}`;

/** The channel's first-response target (ms), as a bound parameter per channel (CAST: PostgreSQL must know the type). */
const TARGET_OF_CHANNEL = `CASE t.channel WHEN 'phone' THEN CAST(? AS BIGINT) WHEN 'chat' THEN CAST(? AS BIGINT) WHEN 'social' THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END`;

/**
 * First-response misses among the day's tickets (the `tickets_created` range the day report
 * reads too): answered later than the target, or open and still unanswered past it as of `at`.
 * A ticket completed without any reply (a call handled on the phone) is no miss.
 */
const FIRST_RESPONSE_OVERDUE_SQL = `SELECT t.channel AS channel, COUNT(*) AS n FROM tickets t
  WHERE t.created_at >= ? AND t.created_at < ?
    AND ((t.first_response_at IS NOT NULL AND t.first_response_at - t.created_at > ${TARGET_OF_CHANNEL})
      OR (t.first_response_at IS NULL AND t.status IN ${OPEN_STATUSES_SQL} AND CAST(? AS BIGINT) - t.created_at > ${TARGET_OF_CHANNEL}))
  GROUP BY t.channel`;

/** What a board snapshot is made of, however it was counted (a recount here, or the live board, liveBoard.ts). */
export interface BoardParts {
  at: number;
  day: string;
  backlogThreshold: number;
  live: Map<Channel, LiveChannelCounts>;
  /** The day report's rows by channel. */
  today: readonly KpiRow[];
  /** Each channel's work of the day (every channel). */
  dayTotals: Map<Channel, BoardDayTotals>;
  queues: readonly QueueSummaryEntry[];
  firstResponse: Map<Channel, number>;
  agents: BoardAgent[];
}

/**
 * Queues by channel then group (no group first), compared as code units: the order SQLite's
 * BINARY collation gives, made explicit so PostgreSQL's collation cannot reorder them and both
 * ways of counting give the same list.
 */
export function compareQueues(a: QueueSummaryEntry, b: QueueSummaryEntry): number {
  if (a.channel !== b.channel) return a.channel < b.channel ? -1 : 1;
  if (a.group === b.group) return 0;
  if (a.group === null) return -1;
  if (b.group === null) return 1;
  return a.group < b.group ? -1 : 1;
}

/** The snapshot from its parts, with each channel's backlog threshold as leads set it. */
export async function assembleBoardSnapshot(sql: SqlExecutor, parts: BoardParts): Promise<BoardSnapshot> {
  // Each channel's threshold as leads set it (server/alarms/), so the board flags what the alarms fire on.
  const thresholds = await sql.all<{ channel: string; backlog_threshold: number | string }>('SELECT channel, backlog_threshold FROM channel_alarms');
  const thresholdOf = new Map(thresholds.map((row) => [row.channel, Number(row.backlog_threshold)]));
  const todayOf = new Map(parts.today.map((row) => [row.key, row.kpis]));
  return {
    at: parts.at,
    day: parts.day,
    backlogThreshold: parts.backlogThreshold,
    rows: CHANNELS.map((channel) => {
      const today = todayOf.get(channel);
      if (!today) throw new Error(`The day report has no row for ${channel}.`);
      const { pending, inProgress } = parts.live.get(channel) ?? { pending: 0, inProgress: 0 };
      return {
        channel,
        pending,
        inProgress,
        today,
        day: boardDayOf(parts.dayTotals.get(channel) ?? EMPTY_BOARD_DAY_TOTALS),
        backlogThreshold: thresholdOf.get(channel) ?? parts.backlogThreshold,
        firstResponseOverdue: parts.firstResponse.get(channel) ?? 0,
      };
    }),
    queues: parts.queues.filter((queue) => isBoardChannel(queue.channel)).sort(compareQueues),
    agents: parts.agents,
  };
}

/** `policies`: where the first-response targets come from (the stored policies; the defaults when not given). */
export function createBoardRepository(
  sql: SqlExecutor,
  reports: ReportRepository,
  backlogThreshold = DEFAULT_BACKLOG_THRESHOLD,
  policies: () => Promise<Policies> = () => Promise.resolve({ ...DEFAULT_POLICIES }),
): BoardRepository {
  /** Open tickets per channel now, and per channel how many of them are past due at `at`. */
  async function openCounts(at: number): Promise<{ live: Map<Channel, LiveChannelCounts>; overdue: Map<Channel, number> }> {
    const live = new Map<Channel, LiveChannelCounts>(CHANNELS.map((channel) => [channel, { pending: 0, inProgress: 0 }]));
    const overdue = new Map<Channel, number>(CHANNELS.map((channel) => [channel, 0]));
    type OpenRow = { channel: string; n: number | string; overdue: number | string | null };
    const [pending, inProgress] = await Promise.all([sql.all<OpenRow>(PENDING_SQL, [at]), sql.all<OpenRow>(IN_PROGRESS_SQL, [at])]);
    // A channel no schema allows (a hand-edited row) is not shown rather than guessed into another.
    for (const [rows, field] of [
      [pending, 'pending'],
      [inProgress, 'inProgress'],
    ] as const) {
      for (const row of rows) {
        if (!isBoardChannel(row.channel)) continue;
        live.get(row.channel)![field] = Number(row.n);
        overdue.set(row.channel, overdue.get(row.channel)! + Number(row.overdue ?? 0));
      }
    }
    return { live, overdue };
  }

  /** Each channel's work of the day containing `at` (shared/board.ts BoardDayTotals). */
  async function dayTotals(at: number, timeZone: string): Promise<{ live: Map<Channel, LiveChannelCounts>; dayTotals: Map<Channel, BoardDayTotals> }> {
    const { start, end } = periodRange('day', localDateOf(at, timeZone), timeZone);
    type CompletedRow = { channel: string; n: number | string; handling: number | string | null; late: number | string | null };
    type AnsweredRow = { channel: string; n: number | string; satisfied: number | string | null };
    const [open, completed, answered] = await Promise.all([
      openCounts(at),
      sql.all<CompletedRow>(COMPLETED_IN_DAY_SQL, [start, end]),
      sql.all<AnsweredRow>(CSAT_ANSWERED_IN_DAY_SQL, [start, end]),
    ]);
    const totals = new Map<Channel, BoardDayTotals>(
      CHANNELS.map((channel) => {
        const { pending, inProgress } = open.live.get(channel)!;
        return [channel, { ...EMPTY_BOARD_DAY_TOTALS, open: pending + inProgress, openOverdue: open.overdue.get(channel)! }];
      }),
    );
    for (const row of completed) {
      if (!isBoardChannel(row.channel)) continue;
      const channel = totals.get(row.channel)!;
      channel.completed = Number(row.n);
      channel.handlingTotalMs = Number(row.handling ?? 0);
      channel.completedLate = Number(row.late ?? 0);
    }
    for (const row of answered) {
      if (!isBoardChannel(row.channel)) continue;
      const channel = totals.get(row.channel)!;
      channel.csatAnswered = Number(row.n);
      channel.csatSatisfied = Number(row.satisfied ?? 0);
    }
    return { live: open.live, dayTotals: totals };
  }

  const repository: BoardRepository = {
    async oldestOpenByAgent() {
      const rows = await sql.all<{ agent_id: string; ticket_id: string; created_at: number | string }>(OLDEST_OPEN_SQL);
      return rows.map((row) => ({ userId: row.agent_id, oldestOpen: { ticketId: row.ticket_id, createdAt: Number(row.created_at) }, viewingTicketId: null }));
    },
    async firstResponseOverdue(at) {
      const current = await policies();
      const { start, end } = periodRange('day', localDateOf(at, current.timeZone), current.timeZone);
      const targets = CHANNELS.map((channel) => firstResponseTargetMs(current, channel));
      const rows = await sql.all<{ channel: string; n: number | string }>(FIRST_RESPONSE_OVERDUE_SQL, [start, end, ...targets, at, ...targets]);
      const counts = new Map<Channel, number>(CHANNELS.map((channel) => [channel, 0]));
      for (const row of rows) if (isBoardChannel(row.channel)) counts.set(row.channel, Number(row.n));
      return counts;
    },
    async liveCounts() {
      return (await openCounts(0)).live;
    },
    async snapshot(at) {
      // Today is the organisation's, as the policies say now (the reports read it alike).
      const { timeZone } = await policies();
      const day = localDateOf(at, timeZone);
      const [{ live, dayTotals: totals }, report, queues, firstResponse, agents] = await Promise.all([
        dayTotals(at, timeZone),
        reports.report({ period: 'day', date: day, by: 'channel' }, at, timeZone),
        readQueueSummary(sql, at),
        repository.firstResponseOverdue(at),
        repository.oldestOpenByAgent(),
      ]);
      return assembleBoardSnapshot(sql, { at, day, backlogThreshold, live, today: report.rows, dayTotals: totals, queues, firstResponse, agents });
    },
  };
  return repository;
}
