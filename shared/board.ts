/**
 * The leads' live channel board (渠道处理状态跟踪表): one row per channel with the live
 * counts (pending, in progress right now) and today's KPIs (China local day, the same
 * cohort and arithmetic as the day report of kpi.ts). Computed on the server once per
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
  /** Today's tickets of the channel (created today, China time): volume, completed (`resolved`), averages, overdue and its rate. */
  today: kpisSchema,
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

/** Whether a row should catch the lead's eye: any overdue ticket today, or a backlog (over the row's own threshold, else `backlogThreshold`). */
export function boardRowAlerts(row: BoardRow, backlogThreshold: number): { overdue: boolean; backlog: boolean } {
  return { overdue: (row.today.overdueRate ?? 0) > 0, backlog: row.pending > (row.backlogThreshold ?? backlogThreshold) };
}

export function isBoardChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}
