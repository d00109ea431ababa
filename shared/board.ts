/**
 * The leads' live channel board (渠道处理状态跟踪表): one row per channel with the live
 * counts (pending, in progress right now), the day's work (`day`: completed today, today's
 * total, overdue and its rate, handling time and CSAT % of the China local day, whatever day
 * the tickets were created) and the day report's KPIs of the tickets created today (`today`,
 * kpi.ts: first-response time and volume). Computed on the server once per
 * interval for every lead at once and pushed to the leads' room as `board:snapshot`;
 * agents are never sent it and `board:get` answers them `forbidden`.
 */
import { z } from 'zod';
import { CHANNELS, TICKET_GROUPS, channelSchema, entityIdSchema, ticketIdSchema, type Channel } from './domain.js';
import { queueSummaryEntrySchema } from './queue.js';
import { kpisSchema } from './reports.js';

/** Default and smallest gap between two board computations (ms). */
export const BOARD_INTERVAL_MS = 1000;
/** A channel's pending count above this is a backlog (the templates' default, 50). */
export const DEFAULT_BACKLOG_THRESHOLD = 50;

const count = z.number().int().nonnegative();
const fraction = z.number().min(0).max(1).nullable();

/**
 * An answer counts as satisfied (CSAT %) when its overall score, the mean of its four 1–5
 * ratings, is 4 or more: rating points of at least 16 out of 20 (shared/csat.ts).
 */
export const CSAT_SATISFIED_MIN_POINTS = 16;

/**
 * A channel's work of the board's day (China local day), counted the way a lead reads the
 * row, which is not the report's created-today cohort: a ticket created yesterday and finished
 * today is completed today.
 * - completed: tickets finished (completed, or closed after work) today, whatever day they were created.
 * - total (today's total, 今日总量): the tickets the channel has had on its hands today = those open
 *   now (pending + in progress) + those completed today, so the row's counts add up to it.
 * - overdue: of those, the open ones past their due time now and the ones completed today after it.
 *   Overdue rate = overdue / total (the templates' 2 of 12 → 16.67%).
 * - average handling time: mean of (completed − created) over the tickets completed today.
 * - CSAT %: satisfied answers / answers received today (CSAT_SATISFIED_MIN_POINTS), whatever day
 *   the ticket was created; the reports keep the CSAT average (the mean score).
 */
export interface BoardDayTotals {
  /** Open now (pending + in progress), and of those past their due time at the snapshot's `at`. */
  open: number;
  openOverdue: number;
  completed: number;
  /** Sum of (completed − created) over the tickets completed today, ms. */
  handlingTotalMs: number;
  /** Completed today after their due time. */
  completedLate: number;
  csatAnswered: number;
  csatSatisfied: number;
}

export const boardDaySchema = z.object({
  completed: count,
  total: count,
  overdue: count,
  overdueRate: fraction,
  avgHandlingMs: z.number().nonnegative().nullable(),
  csatAnswered: count,
  csatSatisfied: count,
  /** Satisfied / answered today; null when nobody answered today. */
  csatPercent: fraction,
});
export type BoardDay = z.infer<typeof boardDaySchema>;

export const EMPTY_BOARD_DAY_TOTALS: Readonly<BoardDayTotals> = {
  open: 0,
  openOverdue: 0,
  completed: 0,
  handlingTotalMs: 0,
  completedLate: 0,
  csatAnswered: 0,
  csatSatisfied: 0,
};

function ratioOf(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** The day's figures from their counts (both ways of counting the board end here). */
export function boardDayOf(totals: BoardDayTotals): BoardDay {
  const total = totals.open + totals.completed;
  const overdue = totals.openOverdue + totals.completedLate;
  return {
    completed: totals.completed,
    total,
    overdue,
    overdueRate: ratioOf(overdue, total),
    avgHandlingMs: ratioOf(totals.handlingTotalMs, totals.completed),
    csatAnswered: totals.csatAnswered,
    csatSatisfied: totals.csatSatisfied,
    csatPercent: ratioOf(totals.csatSatisfied, totals.csatAnswered),
  };
}

/** What is open on a channel right now. */
export interface LiveChannelCounts {
  /** Open tickets nobody holds: unassigned, queued or offered. */
  pending: number;
  /** Open tickets an agent holds (in progress or awaiting the customer). */
  inProgress: number;
}

export const boardRowSchema = z.object({
  channel: channelSchema,
  pending: count,
  inProgress: count,
  /**
   * The day report's KPIs of the channel's tickets CREATED today (China time): the board shows
   * their volume's first-response average; what was done today whatever the creation day is `day`.
   */
  today: kpisSchema,
  /** The channel's work today: completed today, today's total, overdue and its rate, handling time, CSAT % (BoardDayTotals). */
  day: boardDaySchema,
  /** This channel's backlog threshold as leads set it (shared/alarms.ts); absent = the snapshot's `backlogThreshold`. */
  backlogThreshold: z.number().int().positive().optional(),
  /**
   * First-response misses today (首次响应超时): tickets created today whose first agent reply came
   * later than the channel's target (policies), plus open ones still unanswered past it.
   */
  firstResponseOverdue: count.default(0),
});
export type BoardRow = z.infer<typeof boardRowSchema>;

/** Most agents a board names (a larger floor is several teams' boards). */
export const MAX_BOARD_AGENTS = 2000;

/** What an agent is on now, beside routing's status (the Team view joins them by user id). */
export const boardAgentSchema = z.object({
  userId: entityIdSchema,
  /** Their oldest open ticket (the one waiting longest on them), by creation time; null when they hold none. */
  oldestOpen: z.object({ ticketId: ticketIdSchema, createdAt: z.number().int().nonnegative() }).nullable(),
  /** The ticket they have open on a workstation now (the collision roster's `viewing`); null when none. */
  viewingTicketId: ticketIdSchema.nullable(),
});
export type BoardAgent = z.infer<typeof boardAgentSchema>;

export const boardSnapshotSchema = z.object({
  /** When it was computed (server clock); open tickets are judged overdue as of then. */
  at: z.number().int().nonnegative(),
  /** The China-local day the `today` figures are of, `YYYY-MM-DD`. */
  day: z.string().max(10),
  backlogThreshold: z.number().int().positive(),
  /** One row per channel, in the order of CHANNELS. */
  rows: z.array(boardRowSchema).max(CHANNELS.length),
  /** Every queue (channel × group) with someone waiting, by channel then group: the same figures agents' queue summaries show. */
  queues: z.array(queueSummaryEntrySchema).max(CHANNELS.length * (TICKET_GROUPS.length + 1)),
  /** Per agent who holds an open ticket or has one open on screen: what they are on (an older server sends none). */
  agents: z.array(boardAgentSchema).max(MAX_BOARD_AGENTS).default([]),
});
export type BoardSnapshot = z.infer<typeof boardSnapshotSchema>;

/** `board:get` takes nothing. */
export const boardGetRequestSchema = z.object({}).strict();
export type BoardGetRequest = z.infer<typeof boardGetRequestSchema>;

export const boardGetResultSchema = z.object({ board: boardSnapshotSchema });
export type BoardGetResult = z.infer<typeof boardGetResultSchema>;

/** Whether a row should catch the lead's eye: any overdue ticket of today's total, or a backlog (over the row's own threshold, else `backlogThreshold`). */
export function boardRowAlerts(row: BoardRow, backlogThreshold: number): { overdue: boolean; backlog: boolean } {
  return { overdue: row.day.overdue > 0, backlog: row.pending > (row.backlogThreshold ?? backlogThreshold) };
}

export function isBoardChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

/** A board day figure as the cells show it: percentages to two places, minutes to one (as the report's cells, shared/reports.ts); "—" = nothing to measure. */
export function formatBoardDayCell(day: BoardDay, figure: 'avgHandlingMinutes' | 'overdueRate' | 'csatPercent'): string {
  switch (figure) {
    case 'avgHandlingMinutes':
      return day.avgHandlingMs === null ? '—' : (day.avgHandlingMs / 60_000).toFixed(1);
    case 'overdueRate':
      return day.overdueRate === null ? '—' : `${(day.overdueRate * 100).toFixed(2)}%`;
    case 'csatPercent':
      return day.csatPercent === null ? '—' : `${(day.csatPercent * 100).toFixed(2)}%`;
  }
}
